package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

const key = "sk-test-0123456789abcdef"

func response(status int, body string, hdr ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestFromResponse(t *testing.T) {
	tests := []struct {
		name       string
		resp       *http.Response
		wantSubstr string
	}{
		{"openai shape", response(401, `{"error":{"message":"Incorrect API key provided: `+key+`","type":"invalid_request_error"}}`), "Incorrect API key provided"},
		{"anthropic shape", response(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`), "Overloaded"},
		{"string error", response(500, `{"error":"boom"}`), "boom"},
		{"deepgram shape", response(401, `{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}`), "Invalid credentials."},
		{"elevenlabs shape", response(401, `{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}`), "Invalid API key"},
		{"plain text", response(502, "<html>bad gateway</html>"), "bad gateway"},
		{"empty body", response(503, ""), "Service Unavailable"},
		{"retry after", response(429, `{"error":{"message":"slow down"}}`, "Retry-After", "3"), "slow down (retry after 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FromResponse("acme", tt.resp, key)
			if !errors.Is(err, ErrProviderUnavailable) {
				t.Fatal("does not unwrap to ErrProviderUnavailable")
			}
			if err.Provider != "acme" || err.Status != tt.resp.StatusCode {
				t.Fatalf("got %+v", err)
			}
			s := err.Error()
			if !strings.Contains(s, tt.wantSubstr) || !strings.Contains(s, "acme") {
				t.Fatalf("%q lacks %q or the provider name", s, tt.wantSubstr)
			}
			if strings.Contains(s, key) {
				t.Fatalf("key leaked: %q", s)
			}
		})
	}
}

func TestMessageTrimmed(t *testing.T) {
	long := strings.Repeat("é", 500) + key
	err := FromResponse("acme", response(500, long), key)
	if len(err.Message) > MaxMessageLen+len("…") {
		t.Fatalf("message is %d bytes", len(err.Message))
	}
	if !strings.HasSuffix(err.Message, "…") || !strings.HasPrefix(err.Message, "éé") {
		t.Fatalf("trimmed badly: %q", err.Message)
	}
	if strings.ContainsRune(err.Message, '\uFFFD') {
		t.Fatal("cut inside a rune")
	}
	// A key at the very end of a long body must not survive as a prefix.
	err = FromResponse("acme", response(500, strings.Repeat("a", MaxMessageLen-5)+key), key)
	if strings.Contains(err.Message, key[:6]) {
		t.Fatalf("key prefix leaked: %q", err.Message)
	}
}

func TestFromTransport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := FromTransport(ctx, "acme", errors.New("x")); err != context.Canceled {
		t.Fatalf("cancelled ctx: got %v", err)
	}
	err := FromTransport(context.Background(), "acme", errors.New("dial https://h/?key="+key+": refused"), key)
	if !errors.Is(err, ErrProviderUnavailable) || strings.Contains(err.Error(), key) {
		t.Fatalf("got %v", err)
	}
	err = FromTransport(context.Background(), "acme", io.ErrUnexpectedEOF)
	if !strings.Contains(err.Error(), "closed mid-response") {
		t.Fatalf("got %v", err)
	}
}

func TestErrorf(t *testing.T) {
	err := Errorf("acme", []string{key}, "bad event %q", key)
	if strings.Contains(err.Error(), key) || err.Status != 0 || !errors.Is(err, ErrProviderUnavailable) {
		t.Fatalf("got %v", err)
	}
}
