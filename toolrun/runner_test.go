package toolrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/toolrun"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// A timed-out call closes its connection, so a slow server is not left
// holding a request nobody waits for.
func TestWebhookTimeoutReleasesTheConnection(t *testing.T) {
	var gone atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// net/http notices a client leaving only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		gone.Store(true)
	}))
	t.Cleanup(srv.Close)
	r := toolrun.New(toolrun.Options{EgressAllow: loopback})
	_, err := r.Webhook(context.Background(), &toolrun.Webhook{URL: srv.URL, Method: "POST", TimeoutMs: 200}, json.RawMessage(`{}`))
	if !errors.Is(err, toolrun.ErrTimeout) || err.Error() != "the tool did not answer within 200ms" {
		t.Fatalf("err = %v", err)
	}
	for i := 0; !gone.Load(); i++ {
		if i == 500 {
			t.Fatal("the server still holds the timed-out request")
		}
		time.Sleep(10 * time.Millisecond) // polling for the server to see the disconnect
	}
}

func TestWebhookGETSendsQueryAndRefusesPrivateAddresses(t *testing.T) {
	var query atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query.Store(r.URL.RawQuery)
		w.Write([]byte("plain text answer"))
	}))
	t.Cleanup(srv.Close)
	allowed := toolrun.New(toolrun.Options{EgressAllow: loopback})
	out, err := allowed.Webhook(context.Background(), &toolrun.Webhook{URL: srv.URL + "?v=1", Method: "GET"}, json.RawMessage(`{"q":"a b","n":3,"tags":["x","y"]}`))
	if err != nil || string(out) != `"plain text answer"` {
		t.Fatalf("out %s, err %v", out, err)
	}
	if got := query.Load().(string); got != "n=3&q=a+b&tags=x&tags=y&v=1" {
		t.Fatalf("query %q", got)
	}
	guarded := toolrun.New(toolrun.Options{})
	_, err = guarded.Webhook(context.Background(), &toolrun.Webhook{URL: srv.URL, Method: "POST"}, json.RawMessage(`{}`))
	if !errors.Is(err, toolrun.ErrForbidden) || !strings.Contains(err.Error(), "(127.0.0.1)") {
		t.Fatalf("err = %v", err)
	}
}

func TestSchemaCheckListsEveryViolation(t *testing.T) {
	s, problems := toolrun.CompileSchema(json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer","minimum":1},"b":{"type":"string","enum":["x","y"]},"c":{}},"required":["a","b","c"],"additionalProperties":false}`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	err := s.Check(json.RawMessage(`{"a":0,"b":"z","d":true}`))
	var ae *toolrun.ArgumentsError
	if !errors.As(err, &ae) || !errors.Is(err, toolrun.ErrInvalidArguments) {
		t.Fatalf("err = %v", err)
	}
	paths := map[string]bool{}
	for _, v := range ae.Violations {
		paths[v.Path] = true
	}
	if !paths["a"] || !paths["b"] || !paths[""] || len(ae.Violations) < 4 {
		t.Fatalf("violations %+v", ae.Violations)
	}
	if err := s.Check(json.RawMessage(`{"a":2,"b":"x","c":null}`)); err != nil {
		t.Fatalf("valid arguments: %v", err)
	}
}
