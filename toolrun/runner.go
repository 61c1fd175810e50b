package toolrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard/egress"
)

// Errors a run can end with; each is wrapped with what happened, in words
// fit to show the model and the API client.
var (
	// ErrForbidden: the URL reaches an address the egress guard refuses.
	ErrForbidden = errors.New("toolrun: address refused")
	// ErrTimeout: the tool did not answer within its timeout.
	ErrTimeout = errors.New("toolrun: timed out")
	// ErrStatus: the webhook answered with a status other than 2xx.
	ErrStatus = errors.New("toolrun: unexpected status")
	// ErrTooLarge: the answer exceeds MaxResponseBytes.
	ErrTooLarge = errors.New("toolrun: response too large")
	// ErrUnreachable: no connection could be made, or it broke.
	ErrUnreachable = errors.New("toolrun: unreachable")
	// ErrToolFailed: an MCP tool reported an error (isError), or the
	// server answered with a protocol error.
	ErrToolFailed = errors.New("toolrun: tool reported an error")
	// ErrBuiltin: a built-in type (end_call, transfer_call,
	// knowledge_search) is run by the agent runtime, not here.
	ErrBuiltin = errors.New("toolrun: built-in tool")
)

// Error is a failed run: Kind is one of the sentinels above, Message says
// what happened without secrets (header values never appear).
type Error struct {
	Kind    error
	Message string
	// Status is the HTTP status of an ErrStatus.
	Status int
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// maxRetries is how often a webhook is retried after a connection failure
// or a 5xx answer; retries share the call's timeout.
const maxRetries = 2

// retryBackoff is the wait before the first retry; it doubles after.
const retryBackoff = 100 * time.Millisecond

// Options configures a Runner.
type Options struct {
	// EgressAllow lists CIDRs that tools may reach although they are
	// private, loopback or link-local (SWITCHBOARD_EGRESS_ALLOW).
	EgressAllow []netip.Prefix
	Log         *slog.Logger
}

// Runner runs webhook and MCP tools. It is safe for concurrent use; its
// HTTP clients pool connections across calls.
type Runner struct {
	client *http.Client // guarded; shared by webhooks and MCP transports
	log    *slog.Logger
}

// New returns a Runner whose every connection passes the egress guard.
func New(o Options) *Runner {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// The client's own timeout is only a backstop: every call carries its
	// tool's deadline in its context.
	client := egress.New(o.EgressAllow).Client(egress.Options{Timeout: 2 * MaxTimeout, DialTimeout: MaxTimeout})
	return &Runner{client: client, log: o.Log}
}

// Close releases pooled connections.
func (r *Runner) Close() { r.client.CloseIdleConnections() }

// Run validates args against the tool's parameters, then calls the tool.
// The output is JSON: the tool's own JSON answer, or its text as a JSON
// string. Built-in types return ErrBuiltin.
func (r *Runner) Run(ctx context.Context, s *Spec, args json.RawMessage) (json.RawMessage, error) {
	schema, problems := CompileSchema(s.Parameters)
	if len(problems) > 0 {
		return nil, &Error{Kind: ErrInvalidArguments, Message: "the tool's parameters schema is invalid"}
	}
	if err := schema.Check(args); err != nil {
		return nil, err
	}
	switch s.Type {
	case TypeWebhook:
		return r.Webhook(ctx, s.Webhook, args)
	case TypeMCP:
		return r.CallMCP(ctx, s.MCP, args)
	}
	return nil, &Error{Kind: ErrBuiltin, Message: s.Type + " is a built-in tool"}
}

// Webhook calls w with args (already validated): a JSON body for POST, PUT
// and PATCH, query parameters for GET. Connection failures and 5xx answers
// are retried up to twice with backoff, within w's timeout.
func (r *Runner) Webhook(ctx context.Context, w *Webhook, args json.RawMessage) (json.RawMessage, error) {
	timeout := w.Timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var err error
	for attempt := 0; attempt <= maxRetries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(retryBackoff << (attempt - 1))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, timeoutError(timeout)
			}
		}
		var out json.RawMessage
		var retry bool
		out, retry, err = r.webhookOnce(ctx, w, args, timeout)
		if err == nil {
			return out, nil
		}
		if !retry {
			break
		}
	}
	return nil, err
}

func (r *Runner) webhookOnce(ctx context.Context, w *Webhook, args json.RawMessage, timeout time.Duration) (_ json.RawMessage, retry bool, _ error) {
	req, err := newWebhookRequest(ctx, w, args)
	if err != nil {
		return nil, false, err
	}
	res, err := r.client.Do(req)
	if err != nil {
		e := transportError(ctx, err, timeout)
		return nil, errors.Is(e, ErrUnreachable), e
	}
	defer res.Body.Close()
	body, err := readCapped(res.Body, res.ContentLength)
	if err != nil {
		return nil, false, transportError(ctx, err, timeout)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		msg := fmt.Sprintf("the webhook answered HTTP %d", res.StatusCode)
		if snippet := textSnippet(body, 200); snippet != "" {
			msg += ": " + snippet
		}
		return nil, res.StatusCode >= 500, &Error{Kind: ErrStatus, Message: msg, Status: res.StatusCode}
	}
	return outputOf(body), false, nil
}

func newWebhookRequest(ctx context.Context, w *Webhook, args json.RawMessage) (*http.Request, error) {
	u, err := url.Parse(w.URL)
	if err != nil {
		return nil, &Error{Kind: ErrUnreachable, Message: "the webhook URL is invalid"}
	}
	var body io.Reader
	if w.Method == http.MethodGet {
		q := u.Query()
		var m map[string]any
		if err := json.Unmarshal(args, &m); err == nil {
			for k, v := range m {
				addQuery(q, k, v)
			}
		}
		u.RawQuery = q.Encode()
	} else {
		body = bytes.NewReader(args)
	}
	method := w.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, &Error{Kind: ErrUnreachable, Message: "the webhook URL is invalid"}
	}
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", "Switchboard-Tools/1")
	return req, nil
}

// addQuery encodes one argument as query parameters: scalars as text,
// arrays as repeated keys, objects as JSON.
func addQuery(q url.Values, k string, v any) {
	switch x := v.(type) {
	case nil:
	case string:
		q.Add(k, x)
	case float64:
		q.Add(k, strconv.FormatFloat(x, 'f', -1, 64))
	case bool:
		q.Add(k, strconv.FormatBool(x))
	case []any:
		for _, e := range x {
			addQuery(q, k, e)
		}
	default:
		b, _ := json.Marshal(x) // decoded from JSON, so it encodes
		q.Add(k, string(b))
	}
}

// readCapped reads a body of at most MaxResponseBytes; a longer one is an
// error, found without reading more than one byte past the cap.
func readCapped(body io.Reader, declared int64) ([]byte, error) {
	if declared > MaxResponseBytes {
		return nil, tooLarge()
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResponseBytes {
		return nil, tooLarge()
	}
	return b, nil
}

func tooLarge() error {
	return &Error{Kind: ErrTooLarge, Message: fmt.Sprintf("the response is larger than %d KiB", MaxResponseBytes>>10)}
}

func timeoutError(d time.Duration) error {
	return &Error{Kind: ErrTimeout, Message: fmt.Sprintf("the tool did not answer within %v", d)}
}

// transportError classifies a failed exchange. The URL is left out: the
// http package quotes it, and a user may have put a token in its query.
func transportError(ctx context.Context, err error, timeout time.Duration) error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	if errors.Is(err, egress.ErrForbiddenAddress) {
		return forbiddenError(err)
	}
	if errors.Is(err, egress.ErrScheme) {
		return &Error{Kind: ErrForbidden, Message: "only http and https URLs may be called"}
	}
	if errors.Is(err, egress.ErrTooManyRedirects) {
		return &Error{Kind: ErrUnreachable, Message: "the tool redirected too many times"}
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
		return timeoutError(timeout)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return timeoutError(timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &Error{Kind: ErrUnreachable, Message: "could not connect to the tool's server"}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return &Error{Kind: ErrUnreachable, Message: "the tool's host name does not resolve"}
	}
	return &Error{Kind: ErrUnreachable, Message: "the connection to the tool's server failed"}
}

func forbiddenError(err error) error {
	addr := ""
	if _, after, ok := strings.Cut(err.Error(), egress.ErrForbiddenAddress.Error()+": "); ok {
		addr = " (" + after + ")"
	}
	return &Error{Kind: ErrForbidden, Message: "the tool's URL reaches a private, loopback or link-local address" + addr +
		", which is refused unless SWITCHBOARD_EGRESS_ALLOW allows it"}
}

// outputOf returns a JSON body as is, anything else as a JSON string, and
// an empty body as {}.
func outputOf(body []byte) json.RawMessage {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return json.RawMessage(`{}`)
	case json.Valid(body):
		var b bytes.Buffer
		if json.Compact(&b, body) == nil {
			return b.Bytes()
		}
	}
	q, _ := json.Marshal(strings.ToValidUTF8(string(body), "\uFFFD")) // a string always marshals
	return q
}

func textSnippet(b []byte, n int) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}
