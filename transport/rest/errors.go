package rest

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/resource"
)

// statusOf is the one table from API error codes to HTTP statuses.
var statusOf = map[resource.Code]int{
	resource.CodeNotFound:            fasthttp.StatusNotFound,
	resource.CodeValidation:          fasthttp.StatusBadRequest,
	resource.CodeUnauthorized:        fasthttp.StatusUnauthorized,
	resource.CodeRateLimited:         fasthttp.StatusTooManyRequests,
	resource.CodeProviderUnavailable: fasthttp.StatusBadGateway,
	resource.CodeInternal:            fasthttp.StatusInternalServerError,
}

// errorBody is the API's error shape.
type errorBody struct {
	Code      resource.Code         `json:"code"`
	Message   string                `json:"message"`
	RequestID string                `json:"requestId"`
	Details   []resource.FieldError `json:"details,omitempty"`
}

// problemOf turns any error into the Problem to show. Unknown errors are
// logged by the caller and shown as INTERNAL_ERROR without their text.
func problemOf(err error) *resource.Problem {
	if p := resource.AsProblem(err); p != nil {
		return p
	}
	if errors.Is(err, actors.ErrTimeout) {
		return &resource.Problem{Code: resource.CodeInternal, Message: "the request timed out", Status: fasthttp.StatusServiceUnavailable}
	}
	return resource.Internal()
}

func writeProblem(ctx *fasthttp.RequestCtx, p *resource.Problem) {
	status := p.Status
	if status == 0 {
		status = statusOf[p.Code]
	}
	if status == 0 {
		status = fasthttp.StatusInternalServerError
	}
	writeJSON(ctx, status, errorBody{Code: p.Code, Message: p.Message, RequestID: requestID(ctx), Details: p.Details})
}

func writeRateLimited(ctx *fasthttp.RequestCtx, wait time.Duration, write func(*fasthttp.RequestCtx, *resource.Problem)) {
	ctx.Response.Header.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	ctx.Response.Header.Set("Retry-After-Ms", strconv.FormatInt(wait.Milliseconds(), 10))
	write(ctx, &resource.Problem{Code: resource.CodeRateLimited, Message: "rate limit exceeded; retry later"})
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = fasthttp.StatusInternalServerError
		body = []byte(`{"code":"INTERNAL_ERROR","message":"internal error","requestId":"` + requestID(ctx) + `"}`)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}
