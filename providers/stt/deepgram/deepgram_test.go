package deepgram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/stt"
)

const testKey = "dg-test-SECRET-0123456789"

// standIn is a loopback Deepgram listen endpoint. Each binary frame
// advances the hypothesis by one word of the current utterance (an interim
// Results); Finalize answers with the whole utterance as a final result
// marked from_finalize and moves to the next utterance.
type standIn struct {
	*httptest.Server
	query   chan url.Values
	auth    chan string
	control chan string   // text frames received
	bytes   chan int      // binary frame sizes
	closed  chan struct{} // closed when the client's socket went away
	once    sync.Once
}

func newStandIn(t *testing.T, utterances [][]string, opts ...string) *standIn {
	t.Helper()
	s := &standIn{query: make(chan url.Values, 1), auth: make(chan string, 1), control: make(chan string, 16), bytes: make(chan int, 1024), closed: make(chan struct{})}
	up := websocket.Upgrader{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/listen" {
			http.NotFound(w, r)
			return
		}
		s.query <- r.URL.Query()
		s.auth <- r.Header.Get("Authorization")
		if r.Header.Get("Authorization") != "Token "+testKey {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials: %s"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Token "))
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		defer s.once.Do(func() { close(s.closed) })
		conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"Metadata","request_id":"r1"}`))
		utt, heard := 0, 0
		for {
			typ, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if typ == websocket.BinaryMessage {
				s.bytes <- len(data)
				if slicesContains(opts, "hangup-on-audio") {
					conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1011, "NET-0001"))
					return
				}
				if utt < len(utterances) && heard < len(utterances[utt]) {
					heard++
					conn.WriteMessage(websocket.TextMessage, results(utterances[utt][:heard], false, false))
				}
				continue
			}
			var m struct{ Type string }
			json.Unmarshal(data, &m)
			s.control <- m.Type
			switch m.Type {
			case "Finalize":
				if slicesContains(opts, "ignore-finalize") {
					continue
				}
				if utt < len(utterances) {
					conn.WriteMessage(websocket.TextMessage, results(utterances[utt][:heard], true, true))
				}
				utt, heard = utt+1, 0
			case "CloseStream":
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// results builds a Results message for words, each 0.5 s long.
func results(words []string, final, fromFinalize bool) []byte {
	type word struct {
		Word           string  `json:"word"`
		PunctuatedWord string  `json:"punctuated_word"`
		Start          float64 `json:"start"`
		End            float64 `json:"end"`
		Confidence     float64 `json:"confidence"`
	}
	ws := []word{}
	for i, w := range words {
		ws = append(ws, word{strings.ToLower(w), w, float64(i) * 0.5, float64(i)*0.5 + 0.4, 0.9})
	}
	m := map[string]any{
		"type": "Results", "is_final": final, "speech_final": final, "from_finalize": fromFinalize,
		"channel": map[string]any{"alternatives": []any{map[string]any{
			"transcript": strings.Join(words, " "), "confidence": 0.9, "words": ws,
		}}},
	}
	b, _ := json.Marshal(m)
	return b
}

// wsURL gives the stand-in's address in the https:// form users configure.
func (s *standIn) baseURL() string { return s.URL }

func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second): // hang guard, not a timing assertion
		t.Fatal("stand-in never saw the connection close")
	}
}

// pollPartial asks for partials until want arrives; the reader goroutine
// delivers asynchronously.
func pollPartial(t *testing.T, st stt.Stream, want string) stt.Result {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // hang guard only
	for time.Now().Before(deadline) {
		if r, ok := st.Partial(); ok && r.Text == want {
			return r
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("partial %q never arrived", want)
	return stt.Result{}
}

func TestStreamUtterances(t *testing.T) {
	s := newStandIn(t, [][]string{{"Book", "a", "cleaning."}, {"Tuesday."}})
	st, err := New(Config{BaseURL: s.baseURL(), APIKey: testKey, Model: "nova-3"}).NewStream(context.Background(), stt.Config{SampleRate: 16000, Language: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := <-s.query
	for k, v := range map[string]string{"encoding": "linear16", "sample_rate": "16000", "channels": "1", "interim_results": "true", "punctuate": "true", "model": "nova-3", "language": "en-US"} {
		if q.Get(k) != v {
			t.Fatalf("query %s=%q, want %q", k, q.Get(k), v)
		}
	}
	if a := <-s.auth; a != "Token "+testKey {
		t.Fatalf("auth %q", a)
	}

	for i := range 3 {
		if err := st.Write(make([]int16, 320)); err != nil {
			t.Fatal(err)
		}
		if n := <-s.bytes; n != 640 {
			t.Fatalf("frame %d: %d bytes, want 640", i, n)
		}
	}
	p := pollPartial(t, st, "Book a cleaning.")
	if p.Final || len(p.Words) != 3 {
		t.Fatalf("partial %+v", p)
	}
	res, err := st.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Book a cleaning." || !res.Final || len(res.Words) != 3 ||
		res.Words[2] != (stt.Word{Text: "cleaning.", Start: time.Second, End: 1400 * time.Millisecond, Confidence: 0.9}) {
		t.Fatalf("final %+v", res)
	}
	if c := <-s.control; c != "Finalize" {
		t.Fatalf("control %q", c)
	}

	st.Write(make([]int16, 160))
	res, err = st.Finalize()
	if err != nil || res.Text != "Tuesday." {
		t.Fatalf("second utterance %+v, %v", res, err)
	}
	<-s.control
	// No audio since: nothing to flush, nothing sent.
	if res, err := st.Finalize(); err != nil || res.Text != "" || !res.Final {
		t.Fatalf("empty finalize %+v, %v", res, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if c := <-s.control; c != "CloseStream" {
		t.Fatalf("control %q, want CloseStream (an empty Finalize was sent?)", c)
	}
	waitClosed(t, s.closed)
	if err := st.Write(make([]int16, 1)); !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if _, err := st.Finalize(); !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("finalize after close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFinalizeWithoutFlushReply(t *testing.T) {
	// A server that never answers Finalize: the stream gives up after
	// FinalizeTimeout and returns its latest hypothesis as final.
	s := newStandIn(t, [][]string{{"Hello"}}, "ignore-finalize")
	st, err := New(Config{BaseURL: s.baseURL(), APIKey: testKey, FinalizeTimeout: time.Millisecond}).NewStream(context.Background(), stt.Config{SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Write(make([]int16, 80))
	pollPartial(t, st, "Hello")
	res, err := st.Finalize()
	if err != nil || res.Text != "Hello" || !res.Final {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestHandshakeRefused(t *testing.T) {
	s := newStandIn(t, nil)
	_, err := New(Config{BaseURL: s.baseURL(), APIKey: "wrong-" + testKey}).NewStream(context.Background(), stt.Config{SampleRate: 16000})
	var perr *provider.ProviderError
	if !errors.As(err, &perr) || perr.Status != 401 || perr.Provider != Name || !strings.Contains(err.Error(), "Invalid credentials") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "wrong-"+testKey) {
		t.Fatalf("key leaked: %q", err)
	}
}

func TestServerHangsUp(t *testing.T) {
	s := newStandIn(t, nil, "hangup-on-audio")
	st, err := New(Config{BaseURL: s.baseURL(), APIKey: testKey}).NewStream(context.Background(), stt.Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Write(make([]int16, 160))
	waitClosed(t, s.closed)
	// The reader sees the close asynchronously; poll until writes fail.
	deadline := time.Now().Add(10 * time.Second) // hang guard only
	for {
		err = st.Write(make([]int16, 160))
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(err, provider.ErrProviderUnavailable) || !strings.Contains(err.Error(), "1011") || strings.Contains(err.Error(), testKey) {
		t.Fatalf("got %v", err)
	}
	if _, err := st.Finalize(); !errors.Is(err, provider.ErrProviderUnavailable) {
		t.Fatalf("finalize: %v", err)
	}
}

func TestCancelClosesConnection(t *testing.T) {
	s := newStandIn(t, [][]string{{"x"}})
	ctx, cancel := context.WithCancel(context.Background())
	st, err := New(Config{BaseURL: s.baseURL(), APIKey: testKey}).NewStream(ctx, stt.Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cancel()
	waitClosed(t, s.closed)
	if err := st.Write(make([]int16, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("write after cancel: %v", err)
	}
}

func TestRefusesRate(t *testing.T) {
	if _, err := New(Config{}).NewStream(context.Background(), stt.Config{SampleRate: 96000}); !errors.Is(err, stt.ErrUnsupportedRate) {
		t.Fatalf("got %v", err)
	}
}
