package pcmstream

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"
	"time"

	"github.com/switchboard-voice/switchboard/providers/tts"
)

// splitReader returns the data in reads of pseudo-random sizes, odd ones
// included, like TCP segments do.
type splitReader struct {
	data []byte
	rng  *rand.Rand
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rng.IntN(7), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func TestStreamReassemblesSamples(t *testing.T) {
	want := make([]int16, 5001)
	for i := range want {
		want[i] = int16(i*37 - 30000)
	}
	raw := make([]byte, 0, 2*len(want)+1)
	for _, s := range want {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(s))
	}
	tests := []struct {
		name string
		body io.Reader
	}{
		{"one read", iotest.DataErrReader(&splitReader{data: raw, rng: rand.New(rand.NewPCG(1, 1))})},
		{"odd splits", &splitReader{data: raw, rng: rand.New(rand.NewPCG(2, 2))}},
		{"byte by byte", iotest.OneByteReader(&splitReader{data: raw, rng: rand.New(rand.NewPCG(3, 3))})},
		{"trailing odd byte", &splitReader{data: append(slices.Clone(raw), 0x7f), rng: rand.New(rand.NewPCG(4, 4))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int16
			var next time.Duration
			finals := 0
			total, err := Stream(tt.body, 16000, func(c tts.Chunk) error {
				if c.Offset != next {
					t.Fatalf("chunk offset %v, want %v", c.Offset, next)
				}
				if c.SampleRate != 16000 {
					t.Fatalf("rate %d", c.SampleRate)
				}
				if c.Final {
					finals++
				}
				next += c.Duration()
				got = append(got, c.PCM...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("samples differ: got %d, want %d", len(got), len(want))
			}
			if finals != 1 || total != time.Duration(len(want))*time.Second/16000 {
				t.Fatalf("finals %d, total %v", finals, total)
			}
		})
	}
}

func TestStreamStopsOnEmitError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	_, err := Stream(&splitReader{data: make([]byte, 100), rng: rand.New(rand.NewPCG(5, 5))}, 24000, func(tts.Chunk) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestStreamReturnsReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Stream(io.MultiReader(&splitReader{data: make([]byte, 9), rng: rand.New(rand.NewPCG(6, 6))}, iotest.ErrReader(boom)), 24000,
		func(c tts.Chunk) error {
			if c.Final {
				t.Fatal("final chunk after a read error")
			}
			return nil
		})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}
