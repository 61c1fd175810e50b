package pocketsphinx

import (
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

// frameDur is PocketSphinx's frame shift (-frate 100).
const frameDur = 10 * time.Millisecond

// upsampler is the part of audio/resample a stream uses.
type upsampler interface {
	Process(dst, src []int16) int
	MaxOut(n int) int
	Reset()
}

type stream struct {
	e    *Engine
	rate int

	mu         sync.Mutex // guards the fields below; the decoder is not thread-safe
	d          *decoder
	up         upsampler
	buf        []int16 // upsampling scratch, grown once to the largest write
	segs       []segment
	closed     bool
	healthy    bool
	lastFrames int
	lastHyp    string
}

var _ stt.Stream = (*stream)(nil)

func newStream(e *Engine, d *decoder, rate int, up upsampler) *stream {
	return &stream{e: e, d: d, rate: rate, up: up, healthy: true}
}

func (s *stream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	if !s.d.inUtt {
		if err := s.d.startUtt(); err != nil {
			s.healthy = false
			return err
		}
		s.lastFrames, s.lastHyp = 0, ""
		if s.up != nil {
			// The filter history is the end of the last utterance,
			// perhaps seconds ago: spliced onto this one it would click.
			s.up.Reset()
		}
	}
	in := pcm
	if s.up != nil {
		if n := s.up.MaxOut(len(pcm)); cap(s.buf) < n {
			s.buf = make([]int16, n)
		}
		in = s.buf[:s.up.Process(s.buf[:cap(s.buf)], pcm)]
	}
	if err := s.d.process(in); err != nil {
		s.healthy = false
		return err
	}
	return nil
}

func (s *stream) Partial() (stt.Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.d.inUtt {
		return stt.Result{}, false
	}
	// The hypothesis can only change when new frames were searched; this
	// keeps polling after every 20 ms write cheap.
	f := s.d.frames()
	if f == s.lastFrames {
		return stt.Result{}, false
	}
	s.lastFrames = f
	h := cleanHyp(s.d.hyp())
	if h == s.lastHyp {
		return stt.Result{}, false
	}
	s.lastHyp = h
	return stt.Result{Text: h}, true
}

func (s *stream) Finalize() (stt.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.Result{}, stt.ErrClosed
	}
	if !s.d.inUtt {
		return stt.Result{Final: true}, nil
	}
	if err := s.d.endUtt(); err != nil {
		s.healthy = false
		return stt.Result{}, err
	}
	s.segs = s.d.segments(s.segs[:0])
	res := stt.Result{Final: true}
	var text []string
	for _, sg := range s.segs {
		w, ok := wordOf(sg.word)
		if !ok {
			continue
		}
		text = append(text, w)
		res.Words = append(res.Words, stt.Word{
			Text: w,
			// Frames count from ps_start_stream (NewStream), not from
			// the utterance, so they are already stream offsets.
			Start:      time.Duration(sg.start) * frameDur,
			End:        time.Duration(sg.end+1) * frameDur,
			Confidence: min(max(sg.conf, 0), 1),
		})
	}
	res.Text = strings.Join(text, " ")
	if len(res.Words) > 0 {
		// Only speech says anything about the channel; a silent
		// utterance would teach the prior the noise floor.
		s.e.learnChannel(s.rate, s.d.cmn())
	}
	return res, nil
}

func (s *stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.d.inUtt {
		// A decoder must not go back to the pool mid-utterance.
		if err := s.d.endUtt(); err != nil {
			s.healthy = false
		}
	}
	s.e.streamDone(s.d, s.healthy)
	s.d = nil
	return nil
}

// wordOf strips the alternate-pronunciation suffix ("read(2)") and rejects
// fillers: <s>, </s>, <sil> and noise words such as [NOISE] or ++BREATH++.
func wordOf(w string) (string, bool) {
	if w == "" || w[0] == '<' || w[0] == '[' || strings.HasPrefix(w, "++") {
		return "", false
	}
	if i := strings.IndexByte(w, '('); i > 0 {
		w = w[:i]
	}
	return w, true
}

// cleanHyp applies wordOf to an interim hypothesis string.
func cleanHyp(h string) string {
	if !strings.ContainsAny(h, "<[+(") {
		return h
	}
	var out []string
	for _, w := range strings.Fields(h) {
		if w, ok := wordOf(w); ok {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
