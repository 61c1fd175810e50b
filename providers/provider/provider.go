package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrProviderUnavailable is the sentinel every ProviderError unwraps to.
var ErrProviderUnavailable = errors.New("provider unavailable")

// MaxMessageLen bounds ProviderError.Message in bytes: upstream error bodies
// can be whole HTML pages, and the message ends up in an API response.
const MaxMessageLen = 200

// ProviderError reports that an upstream provider refused or failed a
// request, or answered with something that could not be understood.
type ProviderError struct {
	// Provider names the upstream service ("openai", "anthropic", ...).
	Provider string
	// Status is the upstream HTTP status, or 0 when no response arrived
	// (connection refused, reset, malformed stream).
	Status int
	// Message is the upstream's own explanation, trimmed; never a key.
	Message string
}

// Error implements error.
func (e *ProviderError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("provider %s: status %d: %s", e.Provider, e.Status, e.Message)
	}
	return fmt.Sprintf("provider %s: %s", e.Provider, e.Message)
}

// Unwrap lets errors.Is(err, ErrProviderUnavailable) match.
func (e *ProviderError) Unwrap() error { return ErrProviderUnavailable }

// Errorf returns a ProviderError with no HTTP status, its message formatted,
// trimmed and scrubbed of secrets. Clients use it for failures after a
// successful response began (a malformed or truncated stream).
func Errorf(provider string, secrets []string, format string, args ...any) *ProviderError {
	return &ProviderError{Provider: provider, Message: clean(fmt.Sprintf(format, args...), secrets)}
}

// FromResponse builds the ProviderError for a non-2xx upstream response. It
// reads at most a few KiB of the body, extracts the message from the usual
// JSON error shapes ({"error":{"message"}}, {"error":"..."}, {"message"},
// {"err_msg"}, {"detail":...}) or falls back to the status text, and never
// includes any of secrets. It does not close the body.
func FromResponse(provider string, resp *http.Response, secrets ...string) *ProviderError {
	const maxBody = 8 << 10
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	msg := messageFromBody(body)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			msg += " (retry after " + ra + ")"
		}
	}
	return &ProviderError{Provider: provider, Status: resp.StatusCode, Message: clean(msg, secrets)}
}

// FromTransport maps an error from sending a request or reading its body.
// A cancelled or expired ctx wins: the caller gets ctx.Err() itself, so that
// a hang-up is never reported as a provider outage. Anything else is a
// ProviderError with status 0. The message keeps only the innermost cause:
// *url.Error text repeats the whole URL, and some providers take keys in
// query strings.
func FromTransport(ctx context.Context, provider string, err error, secrets ...string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var netErr net.Error
	msg := "request failed"
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		msg = "timeout"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		msg = "connection closed mid-response"
	default:
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			err = u
		}
		msg = err.Error()
	}
	return &ProviderError{Provider: provider, Message: clean(msg, secrets)}
}

// Redact replaces every non-empty secret in s.
func Redact(s string, secrets ...string) string {
	for _, k := range secrets {
		if k != "" {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return s
}

// clean redacts before trimming, so a cut can never leave a key's prefix
// behind.
func clean(msg string, secrets []string) string {
	msg = Redact(msg, secrets...)
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > MaxMessageLen {
		cut := MaxMessageLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// messageFromBody digs the human-readable message out of the error bodies
// the supported providers send.
func messageFromBody(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		ErrMsg  string          `json:"err_msg"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	if m := nestedMessage(v.Error); m != "" {
		return m
	}
	if v.Message != "" {
		return v.Message
	}
	if v.ErrMsg != "" {
		return v.ErrMsg
	}
	if m := nestedMessage(v.Detail); m != "" {
		return m
	}
	return string(body)
}

// nestedMessage reads either a string or an object with a "message" field.
func nestedMessage(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Message
	}
	return ""
}

// NewHTTPClient returns the client cloud providers use by default. It bounds
// connecting, the TLS handshake and the wait for response headers, but sets
// no overall Client.Timeout: that would also cut off a long streamed body,
// which is the normal case here. The caller's ctx bounds the whole call.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
	}}
}
