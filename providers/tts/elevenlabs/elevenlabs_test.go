package elevenlabs

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/tts"
)

const testKey = "xi-test-SECRET-0123456789"

type seen struct {
	path, format, key string
	body              map[string]any
}

// standIn is a loopback ElevenLabs streaming endpoint.
type standIn struct {
	*httptest.Server
	got    chan seen
	closed chan struct{}
}

func newStandIn(t *testing.T, status int, pcm []int16, hold bool) *standIn {
	t.Helper()
	s := &standIn{got: make(chan seen, 1), closed: make(chan struct{})}
	raw := make([]byte, 0, 2*len(pcm))
	for _, v := range pcm {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		s.got <- seen{r.URL.EscapedPath(), r.URL.Query().Get("output_format"), r.Header.Get("xi-api-key"), body}
		if status != 200 {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"detail":{"status":"invalid_api_key","message":"Invalid API key: %s"}}`, testKey)
			return
		}
		w.Header().Set("Content-Type", "audio/pcm")
		for i, n := 0, 1; i < len(raw); i, n = i+n, n+2 { // odd-sized writes
			w.Write(raw[i:min(i+n, len(raw))])
			w.(http.Flusher).Flush()
		}
		if hold {
			<-r.Context().Done()
			close(s.closed)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var rachel = tts.Voice{ID: "elevenlabs-21m00Tcm4TlvDq8ikWAM", Name: "Rachel", Language: "en-US"}

func TestSynthesizeStreamsPCM(t *testing.T) {
	want := make([]int16, 8001)
	for i := range want {
		want[i] = int16(i*31 - 20000)
	}
	s := newStandIn(t, 200, want, false)
	c := newClient(t, Config{BaseURL: s.URL, APIKey: testKey, Voices: []tts.Voice{rachel}, Stability: 0.4})
	var got []int16
	finals := 0
	err := c.Synthesize(context.Background(), tts.Request{Text: "Good morning.", Speed: 1.1}, func(ch tts.Chunk) error {
		if ch.SampleRate != 16000 || ch.Offset != time.Duration(len(got))*time.Second/16000 {
			t.Fatalf("chunk rate %d offset %v after %d samples", ch.SampleRate, ch.Offset, len(got))
		}
		got = append(got, ch.PCM...)
		if ch.Final {
			finals++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || finals != 1 {
		t.Fatalf("got %d samples, %d finals", len(got), finals)
	}
	r := <-s.got
	if r.path != "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream" || r.format != "pcm_16000" || r.key != testKey {
		t.Fatalf("request %+v", r)
	}
	vs, _ := r.body["voice_settings"].(map[string]any)
	if r.body["text"] != "Good morning." || r.body["model_id"] != DefaultModel || vs["stability"] != 0.4 || vs["speed"] != 1.1 {
		t.Fatalf("body %v", r.body)
	}
	if v := c.Voices(); len(v) != 1 || v[0].Provider != Name || v[0].SampleRate != 16000 {
		t.Fatalf("voices %+v", v)
	}
}

func TestSynthesizeVoiceAndRate(t *testing.T) {
	s := newStandIn(t, 200, []int16{1, 2, 3}, false)
	c := newClient(t, Config{BaseURL: s.URL, SampleRate: 24000})
	if err := c.Synthesize(context.Background(), tts.Request{Text: "hi", VoiceID: "elevenlabs-a/b"}, func(tts.Chunk) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r := <-s.got
	if r.path != "/v1/text-to-speech/a%2Fb/stream" || r.format != "pcm_24000" {
		t.Fatalf("request %+v", r)
	}
	if _, ok := r.body["voice_settings"]; ok {
		t.Fatalf("sent voice_settings with nothing to set: %v", r.body)
	}
}

func TestRefuses(t *testing.T) {
	if _, err := New(Config{SampleRate: 11025}); !errors.Is(err, tts.ErrInvalidOption) {
		t.Fatalf("rate: %v", err)
	}
	if _, err := New(Config{Voices: []tts.Voice{{ID: "rachel"}}}); !errors.Is(err, tts.ErrUnknownVoice) {
		t.Fatalf("voice prefix: %v", err)
	}
	c := newClient(t, Config{BaseURL: "http://127.0.0.1:1"}) // never reached
	tests := []struct {
		name string
		req  tts.Request
		want error
	}{
		{"no default voice", tts.Request{Text: "hi"}, tts.ErrUnknownVoice},
		{"other engine's voice", tts.Request{Text: "hi", VoiceID: "openai-nova"}, tts.ErrUnknownVoice},
		{"pitch", tts.Request{Text: "hi", VoiceID: rachel.ID, Pitch: 1}, tts.ErrInvalidOption},
		{"speed", tts.Request{Text: "hi", VoiceID: rachel.ID, Speed: 2}, tts.ErrInvalidOption},
		{"empty", tts.Request{Text: "", VoiceID: rachel.ID}, tts.ErrEmptyText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Synthesize(context.Background(), tt.req, func(tts.Chunk) error { return nil }); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSynthesizeUpstreamErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newStandIn(t, status, nil, false)
			err := newClient(t, Config{BaseURL: s.URL, APIKey: testKey, Voices: []tts.Voice{rachel}}).
				Synthesize(context.Background(), tts.Request{Text: "hi"}, func(tts.Chunk) error { return nil })
			var perr *provider.ProviderError
			if !errors.As(err, &perr) || perr.Status != status || perr.Provider != Name || !strings.Contains(err.Error(), "Invalid API key") {
				t.Fatalf("got %#v", err)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("key leaked: %q", err)
			}
		})
	}
}

func TestSynthesizeCancelMidStream(t *testing.T) {
	s := newStandIn(t, 200, make([]int16, 50), true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := newClient(t, Config{BaseURL: s.URL, Voices: []tts.Voice{rachel}}).Synthesize(ctx, tts.Request{Text: "hi"}, func(tts.Chunk) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second): // hang guard, not a timing assertion
		t.Fatal("stand-in never saw the connection close")
	}
}
