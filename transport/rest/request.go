package rest

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/resource"
)

// Keys of values stored on the request context by the middleware.
const (
	userRequestID = "sb.requestId"
	userPrincipal = "sb.principal"
)

// maxJSONBody caps JSON request bodies; audio endpoints set their own limits.
const maxJSONBody = 1 << 20

func requestID(ctx *fasthttp.RequestCtx) string {
	id, _ := ctx.UserValue(userRequestID).(string)
	return id
}

// validRequestID accepts a client's X-Request-Id only when it is short and
// plain, so it can be echoed and logged safely.
func validRequestID(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// pathID returns the path parameter name if it is an ID of the given
// prefix. Anything else cannot exist, so it is NOT_FOUND.
func pathID(ctx *fasthttp.RequestCtx, name, prefix, kind string) (string, *resource.Problem) {
	id, _ := ctx.UserValue(name).(string)
	if !resource.ValidID(prefix, id) {
		return "", resource.NotFound(kind)
	}
	return id, nil
}

// jsonBody returns a copy of the request body after checking its size and
// content type. The copy outlives the request context (fasthttp reuses it).
func jsonBody(ctx *fasthttp.RequestCtx) ([]byte, *resource.Problem) {
	body := ctx.PostBody()
	if len(body) > maxJSONBody {
		return nil, &resource.Problem{
			Code: resource.CodeValidation, Status: fasthttp.StatusRequestEntityTooLarge,
			Message: "body must be at most " + strconv.Itoa(maxJSONBody) + " bytes",
		}
	}
	if ct := ctx.Request.Header.ContentType(); len(ct) > 0 && !hasPrefixFold(ct, "application/json") {
		return nil, resource.Invalid(resource.FieldError{Field: "Content-Type", Message: "must be application/json"})
	}
	return append([]byte(nil), body...), nil
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// page holds the parsed list parameters.
type page struct {
	Limit int
	After string
}

const (
	defaultLimit = 20
	maxLimit     = 100
)

// pageParams parses ?limit= and ?cursor=. A cursor is the ID of the last
// item of the previous page, so it must be an ID of the listed kind.
func pageParams(ctx *fasthttp.RequestCtx, prefix string) (page, *resource.Problem) {
	p := page{Limit: defaultLimit}
	args := ctx.QueryArgs()
	var errs []resource.FieldError
	if raw := args.Peek("limit"); raw != nil {
		n, err := strconv.Atoi(string(raw))
		if err != nil || n < 1 || n > maxLimit {
			errs = append(errs, resource.FieldError{Field: "limit", Message: "must be an integer from 1 to 100"})
		}
		p.Limit = n
	}
	if raw := args.Peek("cursor"); len(raw) > 0 {
		p.After = string(raw)
		if !resource.ValidID(prefix, p.After) {
			errs = append(errs, resource.FieldError{Field: "cursor", Message: "must be a cursor returned by this list"})
		}
	}
	if len(errs) > 0 {
		return p, resource.Invalid(errs...)
	}
	return p, nil
}

// listBody is the API's list shape.
type listBody[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"nextCursor"`
	HasMore    bool    `json:"hasMore"`
}

func newList[T any](items []T, next string, hasMore bool) listBody[T] {
	b := listBody[T]{Data: items, HasMore: hasMore}
	if b.Data == nil {
		b.Data = []T{}
	}
	if hasMore {
		b.NextCursor = &next
	}
	return b
}
