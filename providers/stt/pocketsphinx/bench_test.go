package pocketsphinx

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

// benchAudio is the ten test sentences, each followed by 300 ms of silence
// (the endpointing pause), at 16 kHz.
func benchAudio(b *testing.B) [][]int16 {
	var out [][]int16
	for _, s := range sentences {
		out = append(out, append(append([]int16{}, speech(b, s)...), silence(300, 16000)...))
	}
	return out
}

func audioSeconds(utts [][]int16) float64 {
	n := 0
	for _, u := range utts {
		n += len(u)
	}
	return float64(n) / 16000
}

// BenchmarkRTF decodes the corpus through one stream per op, as a call
// would, and reports CPU-wall time per second of audio.
func BenchmarkRTF(b *testing.B) {
	utts := benchAudio(b)
	for _, m := range []struct {
		name    string
		phrases []string
	}{{"generic", nil}, {"domain", domainPhrases()}} {
		b.Run(m.name, func(b *testing.B) {
			e := newEngine(b, Options{})
			transcribe(b, e, stt.Config{SampleRate: 16000, Phrases: m.phrases}, utts[0]) // pool a decoder
			b.ResetTimer()
			for b.Loop() {
				s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000, Phrases: m.phrases})
				if err != nil {
					b.Fatal(err)
				}
				for _, u := range utts {
					feed(b, s, u, 16000)
					if _, err := s.Finalize(); err != nil {
						b.Fatal(err)
					}
				}
				s.Close()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/audioSeconds(utts), "rtf")
		})
	}
}

// BenchmarkFinalizeLatency times only Finalize, after the utterance and its
// trailing silence have been written: the delay from end of speech to the
// final transcript that the turn engine waits for.
func BenchmarkFinalizeLatency(b *testing.B) {
	utts := benchAudio(b)
	for _, m := range []struct {
		name    string
		phrases []string
	}{{"generic", nil}, {"domain", domainPhrases()}} {
		b.Run(m.name, func(b *testing.B) {
			e := newEngine(b, Options{})
			s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000, Phrases: m.phrases})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var total time.Duration
			i := 0
			for b.Loop() {
				b.StopTimer()
				feed(b, s, utts[i%len(utts)], 16000)
				i++
				b.StartTimer()
				t0 := time.Now()
				if _, err := s.Finalize(); err != nil {
					b.Fatal(err)
				}
				total += time.Since(t0)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/finalize")
		})
	}
}

// BenchmarkDecoderCreate measures ps_init, which pooling avoids per call.
func BenchmarkDecoderCreate(b *testing.B) {
	e := newEngine(b, Options{})
	m, err := e.domainModel(domainPhrases())
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, dict, lm string
	}{{"generic", e.opt.Dict, e.opt.LM}, {"domain", m.dictPath, m.lmPath}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				d, err := newDecoder("bench", e.args(c.dict, c.lm))
				if err != nil {
					b.Fatal(err)
				}
				d.free()
			}
		})
	}
	b.Run("pooled", func(b *testing.B) {
		transcribe(b, e, stt.Config{SampleRate: 16000}, silence(100, 16000)) // fill the pool
		for b.Loop() {
			s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 16000})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}

// BenchmarkConcurrentStreams runs N phone-path streams (8 kHz in, domain
// model) in parallel and reports the aggregate real-time factor and how
// many real-time streams one core sustains.
func BenchmarkConcurrentStreams(b *testing.B) {
	var utts8k [][]int16
	for _, u := range benchAudio(b) {
		utts8k = append(utts8k, phoneLine(u))
	}
	secs := audioSeconds(utts8k) * 2 // 8 kHz samples counted at 16 kHz
	phrases := domainPhrases()
	for _, n := range []int{1, 2, 4, 8} {
		b.Run("streams="+itoa(n), func(b *testing.B) {
			e := newEngine(b, Options{IdleDecoders: n})
			// Build the domain model and one decoder outside the timing.
			transcribe(b, e, stt.Config{SampleRate: 8000, Phrases: phrases}, utts8k[0])
			for b.Loop() {
				var wg sync.WaitGroup
				for range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s, err := e.NewStream(context.Background(), stt.Config{SampleRate: 8000, Phrases: phrases})
						if err != nil {
							b.Error(err)
							return
						}
						defer s.Close()
						for _, u := range utts8k {
							feed(b, s, u, 8000)
							s.Finalize()
						}
					}()
				}
				wg.Wait()
			}
			wall := b.Elapsed().Seconds() / float64(b.N)
			rtf := wall / (secs * float64(n))
			b.ReportMetric(rtf, "rtf_aggregate")
			b.ReportMetric(1/rtf/float64(runtime.GOMAXPROCS(0)), "realtime_streams/core")
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
