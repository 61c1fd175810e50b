package openai

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

const testKey = "sk-test-SECRET-0123456789"

// standIn is a loopback speech endpoint streaming pcm in odd-sized writes.
type standIn struct {
	*httptest.Server
	got    chan map[string]any
	auth   chan string
	closed chan struct{}
}

func newStandIn(t *testing.T, status int, pcm []int16, hold bool) *standIn {
	t.Helper()
	s := &standIn{got: make(chan map[string]any, 1), auth: make(chan string, 1), closed: make(chan struct{})}
	raw := make([]byte, 0, 2*len(pcm))
	for _, v := range pcm {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/speech" {
			http.NotFound(w, r)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		s.got <- body
		s.auth <- r.Header.Get("Authorization")
		if status != 200 {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, testKey)
			return
		}
		w.Header().Set("Content-Type", "audio/pcm")
		for i, n := 0, 3; i < len(raw); i, n = i+n, n+4 { // 3, 7, 11 ... bytes: samples split across writes
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

func tone(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16((i*7919)%65536 - 32768)
	}
	return pcm
}

func TestSynthesizeStreamsPCM(t *testing.T) {
	want := tone(24000)
	s := newStandIn(t, 200, want, false)
	c := New(Config{BaseURL: s.URL + "/v1", APIKey: testKey})
	var got []int16
	var chunks, finals int
	var next time.Duration
	err := c.Synthesize(context.Background(), tts.Request{Text: "Hello\tthere.", VoiceID: "openai-nova", Speed: 1.5}, func(ch tts.Chunk) error {
		// Offsets come from the sample count, so they do not drift by
		// the nanosecond rounding of each chunk's Duration.
		next = time.Duration(len(got)) * time.Second / SampleRate
		if ch.SampleRate != SampleRate || ch.Offset != next {
			t.Fatalf("chunk rate %d offset %v, want offset %v", ch.SampleRate, ch.Offset, next)
		}
		got = append(got, ch.PCM...)
		chunks++
		if ch.Final {
			finals++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || finals != 1 || chunks < 3 {
		t.Fatalf("got %d samples in %d chunks (%d final), want %d", len(got), chunks, finals, len(want))
	}
	body := <-s.got
	if body["model"] != DefaultModel || body["voice"] != "nova" || body["input"] != "Hello there." || body["response_format"] != "pcm" || body["speed"] != 1.5 {
		t.Fatalf("request %v", body)
	}
	if a := <-s.auth; a != "Bearer "+testKey {
		t.Fatalf("auth %q", a)
	}
}

func TestVoices(t *testing.T) {
	s := newStandIn(t, 200, tone(10), false)
	c := New(Config{BaseURL: s.URL + "/v1", Name: "kokoro", Voices: []string{"af_bella", "am_adam"}})
	vs := c.Voices()
	if len(vs) != 2 || vs[0].ID != "kokoro-af_bella" || vs[0].Provider != "kokoro" || vs[0].SampleRate != SampleRate {
		t.Fatalf("voices %+v", vs)
	}
	if err := c.Synthesize(context.Background(), tts.Request{Text: "hi"}, func(tts.Chunk) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if body := <-s.got; body["voice"] != "af_bella" {
		t.Fatalf("default voice %v", body["voice"])
	}
}

func TestSynthesizeRefuses(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1"}) // never reached
	tests := []struct {
		name string
		req  tts.Request
		want error
	}{
		{"unknown voice", tts.Request{Text: "hi", VoiceID: "openai-nobody"}, tts.ErrUnknownVoice},
		{"other engine's voice", tts.Request{Text: "hi", VoiceID: "flite-slt"}, tts.ErrUnknownVoice},
		{"empty", tts.Request{Text: " \n"}, tts.ErrEmptyText},
		{"pitch", tts.Request{Text: "hi", Pitch: 2}, tts.ErrInvalidOption},
		{"speed", tts.Request{Text: "hi", Speed: 9}, tts.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Synthesize(context.Background(), tt.req, func(tts.Chunk) error { return nil })
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSynthesizeUpstreamErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newStandIn(t, status, nil, false)
			err := New(Config{BaseURL: s.URL + "/v1", APIKey: testKey}).Synthesize(context.Background(), tts.Request{Text: "hi"}, func(tts.Chunk) error { return nil })
			var perr *provider.ProviderError
			if !errors.As(err, &perr) || perr.Status != status || perr.Provider != "openai" {
				t.Fatalf("got %#v", err)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("key leaked: %q", err)
			}
		})
	}
}

func TestSynthesizeCancelMidStream(t *testing.T) {
	s := newStandIn(t, 200, tone(100), true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := New(Config{BaseURL: s.URL + "/v1"}).Synthesize(ctx, tts.Request{Text: "hi"}, func(ch tts.Chunk) error {
		if ch.Final {
			t.Fatal("final chunk although the stand-in never finished")
		}
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
