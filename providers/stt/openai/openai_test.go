package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/audio/wav"
	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/stt"
)

const testKey = "sk-test-SECRET-0123456789"

type upload struct {
	auth   string
	fields map[string][]string
	audio  *wav.Audio
}

// standIn is a loopback transcription endpoint. reply is called with each
// upload and returns the verbose_json body.
type standIn struct {
	*httptest.Server
	got    chan upload
	closed chan struct{}
	once   sync.Once
}

func newStandIn(t *testing.T, status int, reply func(upload) string, hold bool) *standIn {
	t.Helper()
	s := &standIn{got: make(chan upload, 4), closed: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		data, _ := io.ReadAll(f)
		a, err := wav.Decode(data)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		u := upload{r.Header.Get("Authorization"), r.MultipartForm.Value, a}
		s.got <- u
		if hold {
			<-r.Context().Done()
			s.once.Do(func() { close(s.closed) })
			return
		}
		if status != 200 {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, testKey)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply(u))
	}))
	t.Cleanup(s.Close)
	return s
}

func ramp(n int, from int16) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = from + int16(i)
	}
	return pcm
}

func TestFinalizeUploadsUtterances(t *testing.T) {
	replies := []string{
		`{"task":"transcribe","language":"english","duration":1.0,"text":" Hello there.","words":[{"word":"Hello","start":0.1,"end":0.4},{"word":"there","start":0.5,"end":0.9}],"segments":[]}`,
		`{"text":"Bye.","words":[{"word":"Bye","start":0.25,"end":0.5}]}`,
	}
	n := 0
	s := newStandIn(t, 200, func(upload) string { n++; return replies[n-1] }, false)
	c := New(Config{BaseURL: s.URL + "/v1", APIKey: testKey})
	st, err := c.NewStream(context.Background(), stt.Config{SampleRate: 16000, Language: "en-US", Phrases: []string{"Acme  Dental", "", "root canal"}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	first := ramp(16000, -100)
	st.Write(first[:7000])
	st.Write(first[7000:])
	if _, ok := st.Partial(); ok {
		t.Fatal("a batch engine reported a partial")
	}
	res, err := st.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Hello there." || !res.Final || len(res.Words) != 2 || res.Words[1] != (stt.Word{Text: "there", Start: 500 * time.Millisecond, End: 900 * time.Millisecond, Confidence: 1}) {
		t.Fatalf("first result %+v", res)
	}
	up := <-s.got
	if up.audio.SampleRate != 16000 || up.audio.Channels != 1 || !slices.Equal(up.audio.Int16(), first) {
		t.Fatalf("uploaded %d Hz, %d frames", up.audio.SampleRate, up.audio.Frames())
	}
	want := map[string]string{"model": DefaultModel, "response_format": "verbose_json", "timestamp_granularities[]": "word", "language": "en", "prompt": "Acme Dental, root canal"}
	for k, v := range want {
		if got := up.fields[k]; len(got) != 1 || got[0] != v {
			t.Fatalf("field %s = %q, want %q", k, got, v)
		}
	}
	if up.auth != "Bearer "+testKey {
		t.Fatalf("auth %q", up.auth)
	}

	// The second utterance's words are offset by the first one's second.
	st.Write(ramp(8000, 5))
	res, err = st.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Words) != 1 || res.Words[0].Start != 1250*time.Millisecond || res.Words[0].End != 1500*time.Millisecond {
		t.Fatalf("second result %+v", res)
	}
	if up := <-s.got; up.audio.Frames() != 8000 {
		t.Fatalf("second upload has %d frames", up.audio.Frames())
	}
	// Nothing buffered: nothing sent.
	if res, err := st.Finalize(); err != nil || res.Text != "" || !res.Final || n != 2 {
		t.Fatalf("empty finalize: %+v, %v, %d uploads", res, err, n)
	}
}

func TestUpstreamErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newStandIn(t, status, nil, false)
			st, _ := New(Config{BaseURL: s.URL + "/v1", APIKey: testKey}).NewStream(context.Background(), stt.Config{SampleRate: 8000})
			defer st.Close()
			st.Write(ramp(800, 0))
			_, err := st.Finalize()
			var perr *provider.ProviderError
			if !errors.As(err, &perr) || perr.Status != status || perr.Provider != "openai" || strings.Contains(err.Error(), testKey) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestMalformedTranscript(t *testing.T) {
	s := newStandIn(t, 200, func(upload) string { return `{"text": 5` }, false)
	st, _ := New(Config{BaseURL: s.URL + "/v1"}).NewStream(context.Background(), stt.Config{SampleRate: 8000})
	defer st.Close()
	st.Write(ramp(80, 0))
	if _, err := st.Finalize(); !errors.Is(err, provider.ErrProviderUnavailable) {
		t.Fatalf("got %v", err)
	}
}

func TestCloseAbortsUpload(t *testing.T) {
	s := newStandIn(t, 200, nil, true)
	st, _ := New(Config{BaseURL: s.URL + "/v1"}).NewStream(context.Background(), stt.Config{SampleRate: 8000})
	st.Write(ramp(80, 0))
	errc := make(chan error, 1)
	go func() {
		_, err := st.Finalize()
		errc <- err
	}()
	<-s.got // the upload reached the stand-in
	st.Close()
	if err := <-errc; !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("got %v", err)
	}
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second): // hang guard, not a timing assertion
		t.Fatal("stand-in never saw the connection close")
	}
	if err := st.Write(ramp(1, 0)); !errors.Is(err, stt.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestLimits(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1", MaxUtterance: time.Second})
	if _, err := c.NewStream(context.Background(), stt.Config{SampleRate: 4000}); !errors.Is(err, stt.ErrUnsupportedRate) {
		t.Fatalf("rate: %v", err)
	}
	st, _ := c.NewStream(context.Background(), stt.Config{SampleRate: 8000})
	defer st.Close()
	if err := st.Write(make([]int16, 8000)); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(make([]int16, 1)); !errors.Is(err, stt.ErrEngine) {
		t.Fatalf("over limit: %v", err)
	}
}
