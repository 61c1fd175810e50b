package media

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/audio/frame"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
)

// recSTT is a recogniser that keeps everything written to it, one slice
// per utterance, and notes on which frame each Partial call came.
type recSTT struct {
	cfg      stt.Config
	frame    *int // the test's current frame index
	cur      []int16
	utts     [][]int16
	partials []int
}

func (r *recSTT) NewStream(_ context.Context, cfg stt.Config) (stt.Stream, error) {
	r.cfg = cfg
	return r, nil
}
func (r *recSTT) Write(pcm []int16) error { r.cur = append(r.cur, pcm...); return nil }
func (r *recSTT) Partial() (stt.Result, bool) {
	r.partials = append(r.partials, *r.frame)
	return stt.Result{Text: "partial"}, true
}
func (r *recSTT) Finalize() (stt.Result, error) {
	r.utts = append(r.utts, r.cur)
	r.cur = nil
	return stt.Result{Text: "final"}, nil
}
func (r *recSTT) Close() error { return nil }

// sent is an event Inbound sent, with the frame it was sent on.
type sent struct {
	frame int
	msg   any
}

// fliteSpeech synthesizes text with flite at rate.
func fliteSpeech(t *testing.T, text string, rate int) []int16 {
	t.Helper()
	syn, err := flite.New(flite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pcm []int16
	var from int
	err = syn.Synthesize(context.Background(), tts.Request{Text: text}, func(ch tts.Chunk) error {
		pcm, from = append(pcm, ch.PCM...), ch.SampleRate
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pcm, err = resample.Convert(pcm, from, rate); err != nil {
		t.Fatal(err)
	}
	return pcm
}

// loudSpan is where pcm is above flite's pause noise: the first and last
// 10 ms window with an RMS over 100.
func loudSpan(pcm []int16, rate int) (on, off time.Duration) {
	w := rate / 100
	first, last := -1, -1
	for i := 0; i+w <= len(pcm); i += w {
		if rms(pcm[i:i+w]) > 100 {
			if first < 0 {
				first = i
			}
			last = i + w
		}
	}
	return frame.DurationOf(first, rate), frame.DurationOf(last, rate)
}

// mismatch is the first index where a and b differ, or -1.
func mismatch(a, b []int16) int {
	for j := range min(len(a), len(b)) {
		if a[j] != b[j] {
			return j
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}

// TestInboundSpeech feeds two spoken utterances, separated and surrounded
// by a quiet line, through Inbound at the telephone rate and at the session
// rate. Each utterance must be reported where it is, and the recogniser,
// opened at the line rate, must get exactly the contiguous run of line
// audio from preRoll before the onset to the end of speech.
func TestInboundSpeech(t *testing.T) {
	const text = "I would like to book a table for two people tonight."
	for _, rate := range []int{8000, session.SampleRate} {
		t.Run(fmt.Sprintf("%dk", rate/1000), func(t *testing.T) {
			n := frame.SamplesPerFrame(rate)
			speech := fliteSpeech(t, text, rate)
			on, off := loudSpan(speech, rate)
			rng := rand.New(rand.NewPCG(5, 6))
			gap := lineNoise(rng, rate, 8) // 1 s of idle line
			var line []int16
			var spans [][2]time.Duration // where each utterance is loud
			for range 2 {
				line = append(line, gap...)
				at := frame.DurationOf(len(line), rate)
				spans = append(spans, [2]time.Duration{at + on, at + off})
				for _, v := range speech {
					line = append(line, max(-32768, min(32767, v+int16(math.Round(8*rng.NormFloat64())))))
				}
			}
			line = append(line, gap...)
			line = line[:len(line)/n*n]

			i := 0
			rec := &recSTT{frame: &i}
			var events []sent
			in, err := NewInbound(context.Background(), InboundConfig{
				Rate: rate, STT: rec,
				Send:  func(msg any) { events = append(events, sent{i, msg}) },
				Clock: func() time.Duration { return time.Duration(i+1) * frame.Duration },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if rec.cfg.SampleRate != rate {
				t.Fatalf("recogniser opened at %d Hz, want the line's %d", rec.cfg.SampleRate, rate)
			}
			for i = 0; i*n < len(line); i++ {
				in.Frame(line[i*n : (i+1)*n])
			}

			// Speech events, in order: started, ended, final transcript;
			// partial transcripts only in between.
			type utt struct {
				startFrame, endFrame int
				start, end           time.Duration
			}
			var utts []utt
			for k, e := range events {
				switch m := e.msg.(type) {
				case *session.SpeechStarted:
					if len(utts) > 0 && utts[len(utts)-1].endFrame < 0 {
						t.Fatalf("event %d: speech started twice", k)
					}
					utts = append(utts, utt{startFrame: e.frame, endFrame: -1, start: m.At})
				case *session.SpeechEnded:
					if len(utts) == 0 || utts[len(utts)-1].endFrame >= 0 {
						t.Fatalf("event %d: speech ended while not started", k)
					}
					u := &utts[len(utts)-1]
					u.endFrame, u.end = e.frame, m.At
					if k+1 >= len(events) {
						t.Fatalf("no transcript after speech ended")
					}
					if tr, ok := events[k+1].msg.(*session.Transcript); !ok || !tr.Final || tr.Text != "final" {
						t.Errorf("after speech ended: %#v, want the final transcript", events[k+1].msg)
					}
				case *session.Transcript:
					if !m.Final && (len(utts) == 0 || utts[len(utts)-1].endFrame >= 0) {
						t.Errorf("event %d: partial transcript outside speech", k)
					}
				default:
					t.Errorf("event %d: unexpected %T", k, m)
				}
			}
			if len(utts) != len(spans) || len(rec.utts) != len(spans) {
				t.Fatalf("%d utterances detected, %d finalized, want %d: %+v", len(utts), len(rec.utts), len(spans), utts)
			}

			// Partials are polled on every fifth frame while speaking.
			var wantPartials []int
			prev := -1
			for k, u := range utts {
				if d := u.start - spans[k][0]; d < -frame.Duration || d > 2*frame.Duration {
					t.Errorf("utterance %d: started at %v, speech is loud from %v", k, u.start, spans[k][0])
				}
				if d := u.end - spans[k][1]; d < -2*frame.Duration || d > 2*frame.Duration {
					t.Errorf("utterance %d: ended at %v, speech is loud until %v", k, u.end, spans[k][1])
				}
				for f := u.startFrame; f < u.endFrame; f++ {
					if (f+1)%partialEvery == 0 {
						wantPartials = append(wantPartials, f)
					}
				}

				// The recogniser got line audio from the start of the
				// pre-roll to the end of the frame that ended speech.
				first := max(u.startFrame-int(preRoll/frame.Duration), prev+1)
				prev = u.endFrame
				want := line[first*n : (u.endFrame+1)*n]
				got := rec.utts[k]
				if j := mismatch(got, want); j >= 0 {
					t.Errorf("utterance %d: recogniser got %d samples, want %d (line frames %d–%d in one run); they differ from sample %d",
						k, len(got), len(want), first, u.endFrame, j)
				}
				if lead := u.start - frame.DurationOf(first*n, rate); lead < preRoll-3*frame.Duration {
					t.Errorf("utterance %d: audio starts %v before the onset, want about %v", k, lead, preRoll)
				}
				if v := rms(got); v < 300 {
					t.Errorf("utterance %d: RMS %.0f, want speech", k, v)
				}
				t.Logf("utterance %d: %v–%v (loud %v–%v), recogniser got %v from %v",
					k, u.start, u.end, spans[k][0], spans[k][1],
					frame.DurationOf(len(got), rate), frame.DurationOf(first*n, rate))
			}
			if !slices.Equal(rec.partials, wantPartials) {
				t.Errorf("partials polled on frames %v, want %v", rec.partials, wantPartials)
			}
		})
	}
}

// TestInboundNoAllocs: a frame allocates nothing on an idle line or in the
// middle of an utterance.
func TestInboundNoAllocs(t *testing.T) {
	for _, rate := range []int{8000, session.SampleRate} {
		n := frame.SamplesPerFrame(rate)
		rng := rand.New(rand.NewPCG(7, 8))
		for _, c := range []struct {
			name string
			pcm  []int16
		}{
			{"silence", lineNoise(rng, 3*rate, 8)},
			{"speech", vowels(rng, rate, 3*rate)},
		} {
			t.Run(fmt.Sprintf("%dk/%s", rate/1000, c.name), func(t *testing.T) {
				in, _ := benchInbound(t, rate)
				i := 0
				next := func() {
					in.Frame(c.pcm[i : i+n])
					if i += n; i+n > len(c.pcm) {
						i = 0
					}
				}
				for range 25 { // into the utterance
					next()
				}
				if a := testing.AllocsPerRun(100, next); a != 0 {
					t.Errorf("%v allocs per frame, want 0", a)
				}
				if want := c.name == "speech"; in.vad.Speaking() != want {
					t.Errorf("speaking = %v after the run, want %v", !want, want)
				}
			})
		}
	}
}

// TestInboundDTMF: a key tone on the line is reported as a digit, unless
// the transport reports key presses itself (Twilio's dtmf messages), when
// detecting it in the audio too would report it twice.
func TestInboundDTMF(t *testing.T) {
	const rate = 8000
	n := frame.SamplesPerFrame(rate)
	rng := rand.New(rand.NewPCG(9, 10))
	line := lineNoise(rng, rate/2, 8)
	for i := range rate / 10 { // '5': 770 Hz + 1336 Hz for 100 ms
		x := 2 * math.Pi * float64(i) / rate
		line = append(line, int16(6000*(math.Sin(770*x)+math.Sin(1336*x))))
	}
	line = append(line, lineNoise(rng, rate/2, 8)...)
	line = line[:len(line)/n*n]
	for _, events := range []bool{false, true} {
		i := 0
		var digits []byte
		in, err := NewInbound(context.Background(), InboundConfig{
			Rate: rate, STT: &recSTT{frame: &i}, DTMFEvents: events,
			Send: func(msg any) {
				if d, ok := msg.(*session.DTMF); ok {
					digits = append(digits, d.Digit)
				}
			},
			Clock: func() time.Duration { return time.Duration(i+1) * frame.Duration },
		})
		if err != nil {
			t.Fatal(err)
		}
		for i = 0; i*n < len(line); i++ {
			in.Frame(line[i*n : (i+1)*n])
		}
		in.Close()
		want := "5"
		if events {
			want = ""
		}
		if string(digits) != want {
			t.Errorf("DTMFEvents %v: digits %q, want %q", events, digits, want)
		}
	}
}
