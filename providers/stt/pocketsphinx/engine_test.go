package pocketsphinx

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

func newEngine(tb testing.TB, opt Options) *Engine {
	tb.Helper()
	e, err := New(opt)
	if err != nil {
		tb.Skipf("pocketsphinx model not available: %v", err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

func transcribe(tb testing.TB, e *Engine, cfg stt.Config, pcm []int16) stt.Result {
	tb.Helper()
	s, err := e.NewStream(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	feed(tb, s, pcm, cfg.SampleRate)
	r, err := s.Finalize()
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func domainPhrases() []string { return append(append([]string{}, sentences...), distractors...) }

// TestAccuracy measures corpus WER (errors pooled over the ten sentences)
// on the wideband and the phone path, with the generic and the domain
// model. The floors sit a little above what was measured when they were
// set, so that they catch regressions rather than restate the numbers.
func TestAccuracy(t *testing.T) {
	e := newEngine(t, Options{})
	type path struct {
		name string
		rate int
		conv func([]int16) []int16
	}
	paths := []path{
		{"16 kHz PCM", 16000, func(p []int16) []int16 { return p }},
		{"8 kHz μ-law", 8000, phoneLine},
	}
	models := []struct {
		name    string
		phrases []string
	}{
		{"generic", nil},
		{"domain", domainPhrases()},
	}
	floors := map[string]float64{
		"16 kHz PCM/generic":  0.20, // measured 14.1 %
		"16 kHz PCM/domain":   0.05, // measured 0.0 %
		"8 kHz μ-law/generic": 0.60, // measured 50.7 %
		"8 kHz μ-law/domain":  0.10, // measured 2.8 %
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-12s %-8s %6s\n", "path", "model", "WER")
	for _, p := range paths {
		// One utterance outside the test set teaches the engine the
		// channel (see Engine.cmnPrior), as the first call of the day
		// would; without it the first sentence decodes with a wideband
		// channel estimate.
		transcribe(t, e, stt.Config{SampleRate: p.rate}, p.conv(speech(t, "I would like to speak to an agent")))
		for _, m := range models {
			errs, words := 0, 0
			for _, ref := range sentences {
				pcm := p.conv(speech(t, ref))
				r := transcribe(t, e, stt.Config{SampleRate: p.rate, Phrases: m.phrases}, pcm)
				checkWords(t, r, time.Duration(len(pcm))*time.Second/time.Duration(p.rate))
				rw := stt.Normalize(ref)
				errs += stt.EditDistance(rw, stt.Normalize(r.Text))
				words += len(rw)
				if testing.Verbose() {
					t.Logf("%s/%s: %q -> %q", p.name, m.name, ref, r.Text)
				}
			}
			wer := float64(errs) / float64(words)
			fmt.Fprintf(&table, "%-12s %-8s %5.1f%%\n", p.name, m.name, 100*wer)
			if key := p.name + "/" + m.name; wer > floors[key] {
				t.Errorf("%s: WER %.1f%% above floor %.0f%%", key, 100*wer, 100*floors[key])
			}
		}
	}
	t.Log(table.String())
}

// checkWords verifies what every final result must satisfy: words in time
// order inside the audio, confidences in [0,1], and text equal to the words.
func checkWords(t *testing.T, r stt.Result, dur time.Duration) {
	t.Helper()
	if !r.Final {
		t.Error("Finalize returned a non-final result")
	}
	var texts []string
	var prevEnd time.Duration
	for _, w := range r.Words {
		texts = append(texts, w.Text)
		if w.Start < prevEnd || w.End <= w.Start || w.End > dur+frameDur {
			t.Errorf("word %q at [%v,%v] out of order or outside %v (previous ended %v)", w.Text, w.Start, w.End, dur, prevEnd)
		}
		if w.Confidence < 0 || w.Confidence > 1 {
			t.Errorf("word %q confidence %v outside [0,1]", w.Text, w.Confidence)
		}
		if strings.ContainsAny(w.Text, "<>[]+()") {
			t.Errorf("filler or alternate marker in word %q", w.Text)
		}
		prevEnd = w.End
	}
	if got := strings.Join(texts, " "); got != r.Text {
		t.Errorf("text %q differs from words %q", r.Text, got)
	}
}

func TestPartialsBeforeFinalize(t *testing.T) {
	e := newEngine(t, Options{})
	long := speech(t, "I would like to book an appointment for tomorrow at ten and can you tell me your opening hours")
	s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var partials []string
	for i := 0; i < len(long); i += 320 {
		if err := s.Write(long[i:min(i+320, len(long))]); err != nil {
			t.Fatal(err)
		}
		if r, ok := s.Partial(); ok {
			if r.Final {
				t.Error("partial marked final")
			}
			partials = append(partials, r.Text)
		}
	}
	if _, ok := s.Partial(); ok {
		t.Error("Partial reported a change with no new audio")
	}
	final, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	nonEmpty := 0
	for _, p := range partials {
		if p != "" {
			nonEmpty++
		}
	}
	if nonEmpty < 2 {
		t.Errorf("got %d non-empty partials before Finalize (%q), want at least 2", nonEmpty, partials)
	}
	if final.Text == "" {
		t.Error("empty final result")
	}
	t.Logf("%d partials, last %q; final %q", len(partials), partials[len(partials)-1], final.Text)
}

func TestSilenceGivesEmptyText(t *testing.T) {
	e := newEngine(t, Options{})
	// Faint deterministic noise rather than digital zeros, as from a line.
	rng := rand.New(rand.NewPCG(1, 2))
	quiet := silence(2000, 16000)
	for i := range quiet {
		quiet[i] = int16(rng.IntN(21) - 10)
	}
	for _, phrases := range [][]string{nil, domainPhrases()} {
		r := transcribe(t, e, stt.Config{SampleRate: 16000, Phrases: phrases}, quiet)
		if r.Text != "" || len(r.Words) != 0 {
			t.Errorf("silence (domain=%v) transcribed as %q", phrases != nil, r.Text)
		}
	}
}

func TestStreamReuseAcrossUtterances(t *testing.T) {
	e := newEngine(t, Options{})
	s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000, Phrases: domainPhrases()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var offset time.Duration
	for _, ref := range []string{sentences[3], sentences[8], sentences[3]} {
		pcm := speech(t, ref)
		feed(t, s, pcm, 16000)
		r, err := s.Finalize()
		if err != nil {
			t.Fatal(err)
		}
		if w := stt.WER(ref, r.Text); w > 0.2 {
			t.Errorf("utterance %q heard as %q (WER %.2f)", ref, r.Text, w)
		}
		if len(r.Words) == 0 || r.Words[0].Start < offset {
			t.Errorf("utterance %q: first word %+v starts before the utterance at %v", ref, r.Words, offset)
		}
		offset += time.Duration(len(pcm)) * time.Second / 16000
		if last := r.Words[len(r.Words)-1]; last.End > offset+frameDur {
			t.Errorf("utterance %q: last word ends at %v, after the audio at %v", ref, last.End, offset)
		}
	}
	// Finalize with no audio since the last one is an empty final result.
	if r, err := s.Finalize(); err != nil || r.Text != "" || !r.Final {
		t.Errorf("empty Finalize = %+v, %v", r, err)
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	e := newEngine(t, Options{})
	s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, s, speech(t, sentences[2])[:8000], 16000) // close mid-utterance
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(make([]int16, 320)); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Finalize(); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Finalize after Close: %v, want ErrClosed", err)
	}
	if _, ok := s.Partial(); ok {
		t.Error("Partial after Close reported a result")
	}
}

// A closed stream's decoder goes back to the pool and serves the next
// stream of the same model, with no trace of the previous caller.
func TestDecoderPooling(t *testing.T) {
	e := newEngine(t, Options{IdleDecoders: 2})
	open := func(phrases []string) *stream {
		s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000, Phrases: phrases})
		if err != nil {
			t.Fatal(err)
		}
		return s.(*stream)
	}
	s1 := open(nil)
	d1 := s1.d
	feed(t, s1, speech(t, sentences[0])[:16000], 16000)
	s1.Close()
	s2 := open(nil)
	if s2.d != d1 {
		t.Error("generic decoder not reused")
	}
	r := transcribe(t, e, stt.Config{SampleRate: 16000}, silence(500, 16000))
	if r.Text != "" {
		t.Errorf("leftover hypothesis from the previous stream: %q", r.Text)
	}
	s3 := open(domainPhrases())
	if s3.d == d1 {
		t.Error("generic decoder handed to a domain stream")
	}
	s2.Close()
	s3.Close()
	// Three models released into a pool of two: the oldest is freed.
	s4 := open([]string{"yes", "no"})
	s4.Close()
	e.mu.Lock()
	n := len(e.idle)
	e.mu.Unlock()
	if n != 2 {
		t.Errorf("%d idle decoders, want the pool bound 2", n)
	}
}

func TestNewStreamErrors(t *testing.T) {
	e := newEngine(t, Options{MaxStreams: 1})
	ctx := context.Background()
	if _, err := e.NewStream(ctx, stt.Config{SampleRate: -8000}); !errors.Is(err, stt.ErrUnsupportedRate) {
		t.Errorf("negative rate: %v, want ErrUnsupportedRate", err)
	}
	if _, err := e.NewStream(ctx, stt.Config{SampleRate: 16000, Language: "fr-FR"}); !errors.Is(err, stt.ErrUnsupportedLanguage) {
		t.Errorf("fr-FR: %v, want ErrUnsupportedLanguage", err)
	}
	s, err := e.NewStream(ctx, stt.Config{SampleRate: 16000, Language: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	// MaxStreams is 1: the next stream waits, here until its context ends.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.NewStream(cctx, stt.Config{SampleRate: 16000}); !errors.Is(err, context.Canceled) {
		t.Errorf("over MaxStreams: %v, want context.Canceled", err)
	}
	s.Close()
	s, err = e.NewStream(ctx, stt.Config{SampleRate: 16000})
	if err != nil {
		t.Fatalf("slot not returned by Close: %v", err)
	}
	s.Close()
	e.Close()
	if _, err := e.NewStream(ctx, stt.Config{SampleRate: 16000}); !errors.Is(err, ErrEngineClosed) {
		t.Errorf("after Close: %v, want ErrEngineClosed", err)
	}
}

func TestConcurrentStreams(t *testing.T) {
	e := newEngine(t, Options{})
	phrases := domainPhrases()
	const n = 4
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		pcm := speech(t, sentences[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000, Phrases: phrases})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for j := 0; j < len(pcm); j += 320 {
				if err := s.Write(pcm[j:min(j+320, len(pcm))]); err != nil {
					t.Error(err)
					return
				}
				s.Partial()
			}
			r, err := s.Finalize()
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = r.Text
		}()
	}
	wg.Wait()
	for i, got := range results {
		if w := stt.WER(sentences[i], got); w > 0.2 {
			t.Errorf("stream %d: %q heard as %q (WER %.2f)", i, sentences[i], got, w)
		}
	}
}

func TestWordOf(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"hello", "hello", true},
		{"read(2)", "read", true},
		{"<s>", "", false},
		{"</s>", "", false},
		{"<sil>", "", false},
		{"[NOISE]", "", false},
		{"++BREATH++", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := wordOf(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("wordOf(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := cleanHyp("<s> i [NOISE] want(2) ++UH++ it </s>"); got != "i want it" {
		t.Errorf("cleanHyp = %q", got)
	}
}

func TestHashPhrasesBoundaries(t *testing.T) {
	if hashPhrases([]string{"ab", "c"}) == hashPhrases([]string{"a", "bc"}) {
		t.Error("phrase boundaries do not change the hash")
	}
	if hashPhrases([]string{"a", "b"}) != hashPhrases([]string{"a", "b"}) {
		t.Error("hash not deterministic")
	}
}

func TestChannelPriorLearnedPerRate(t *testing.T) {
	e := newEngine(t, Options{})
	transcribe(t, e, stt.Config{SampleRate: 8000}, silence(1000, 8000))
	e.mu.Lock()
	_, afterSilence := e.cmnPrior[8000]
	e.mu.Unlock()
	if afterSilence {
		t.Error("a silent utterance set the channel prior")
	}
	transcribe(t, e, stt.Config{SampleRate: 8000}, phoneLine(speech(t, sentences[3])))
	e.mu.Lock()
	p8, p16 := e.cmnPrior[8000], e.cmnPrior[16000]
	e.mu.Unlock()
	if len(p8) == 0 || p16 != nil {
		t.Errorf("priors after one 8 kHz utterance: 8 kHz %v, 16 kHz %v", p8, p16)
	}
}
