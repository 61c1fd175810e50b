package flite_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
)

// BenchmarkSynthesize reports, per voice and text, the time from the call to
// the first emitted chunk (what a caller hears as latency) and the real-time
// factor (synthesis time over audio duration; below 1 is faster than real
// time).
func BenchmarkSynthesize(b *testing.B) {
	s := newSynth(b, flite.Options{})
	texts := []struct{ name, text string }{
		{"1-sentence", pangram},
		{"3-sentences", threeSent},
	}
	for _, id := range voiceIDs {
		for _, tx := range texts {
			b.Run(id+"/"+tx.name, func(b *testing.B) {
				req := tts.Request{Text: tx.text, VoiceID: id}
				var toFirst, total time.Duration
				var samples int
				b.ReportAllocs()
				for b.Loop() {
					start := time.Now()
					first := true
					err := s.Synthesize(context.Background(), req, func(c tts.Chunk) error {
						if first && len(c.PCM) > 0 {
							toFirst += time.Since(start)
							first = false
						}
						samples += len(c.PCM)
						return nil
					})
					total += time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
				}
				audio := time.Duration(samples) * time.Second / rate
				b.ReportMetric(float64(toFirst.Microseconds())/1000/float64(b.N), "ms-to-first-chunk")
				b.ReportMetric(total.Seconds()/audio.Seconds(), "rtf")
			})
		}
	}
}
