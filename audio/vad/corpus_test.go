package vad

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The evaluation corpus is real synthesized speech: flite (the embedded TTS
// engine, local, no network) reads the sentences below in four voices. The
// WAV files live in a temporary directory for one test run only.

var sentences = []struct{ voice, text string }{
	{"slt", "Thank you for calling. How can I help you today?"},
	{"kal16", "I would like to check the status of my order."},
	{"rms", "Sure, can you read me the order number?"},
	{"awb", "It is four seven two nine one."},
	{"slt", "Thanks. That order shipped yesterday afternoon."},
	{"kal16", "Great, when will it arrive?"},
	{"rms", "It should be there by Thursday."},
	{"awb", "Can I change the delivery address?"},
	{"slt", "Yes. What is the new address?"},
	{"kal16", "Twelve Maple Street, Springfield."},
	{"rms", "Done. Is there anything else?"},
	{"awb", "No, that is all. Thank you very much."},
	{"slt", "You are welcome. Have a nice day."},
	{"kal16", "Goodbye."},
}

const corpusRate = 16000

var (
	corpusOnce sync.Once
	corpusDir  string
	corpusPCM  [][]int16
	corpusErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusDir != "" {
		os.RemoveAll(corpusDir)
	}
	os.Exit(code)
}

// utterances returns the synthesized sentences as 16 kHz PCM, skipping the
// test when flite is not installed.
func utterances(tb testing.TB) [][]int16 {
	tb.Helper()
	if _, err := exec.LookPath("flite"); err != nil {
		tb.Skip("flite is not installed; the VAD evaluation needs it to synthesize speech")
	}
	corpusOnce.Do(func() {
		corpusDir, corpusErr = os.MkdirTemp("", "vad-corpus-")
		if corpusErr != nil {
			return
		}
		for i, s := range sentences {
			path := filepath.Join(corpusDir, fmt.Sprintf("u%02d.wav", i))
			out, err := exec.Command("flite", "-voice", s.voice, "-t", s.text, "-o", path).CombinedOutput()
			if err != nil {
				corpusErr = fmt.Errorf("flite %s %q: %v: %s", s.voice, s.text, err, out)
				return
			}
			pcm, rate, err := readWAV(path)
			if err != nil {
				corpusErr = fmt.Errorf("%s: %w", path, err)
				return
			}
			if rate != corpusRate {
				corpusErr = fmt.Errorf("%s: flite voice %s gave %d Hz, want %d", path, s.voice, rate, corpusRate)
				return
			}
			corpusPCM = append(corpusPCM, pcm)
		}
	})
	if corpusErr != nil {
		tb.Fatal(corpusErr)
	}
	return corpusPCM
}

// readWAV reads a mono PCM16 RIFF/WAVE file. It is local to the tests so that
// they do not depend on the audio/wav package.
func readWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	var rate int
	var fmtSeen bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		if size > len(body) {
			size = len(body) // flite streams may leave the size unset
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels := binary.LittleEndian.Uint16(body[2:4])
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("want mono PCM16, got format %d, %d channels, %d bits", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			fmtSeen = true
		case "data":
			if !fmtSeen {
				return nil, 0, errors.New("data before fmt")
			}
			pcm := make([]int16, size/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		p += 8 + size + size&1
	}
	return nil, 0, errors.New("no data chunk")
}

// Ground truth.
//
// A 10 ms unit of a clean utterance is speech when its energy is within
// labelDB of the loudest unit of that utterance; inserted silences are
// silence. The signal is clean synthesized speech whose pauses are near
// digital silence, so the only judgement is where a fading sound stops
// counting. 30 dB below the peak is about 24 dB below the average speech
// level: at the 20 dB SNR condition anything quieter is already under the
// noise, so a deeper threshold would score the noise rather than the
// detector. What falls between 30 and 40 dB down is mostly the edges of stop
// releases and fricatives; the table also reports accuracy against 40 dB
// labels so that the choice is visible.
const (
	labelDB     = 30
	labelDBDeep = 40
)

func frameEnergies(pcm []int16, frameLen int) []float64 {
	n := len(pcm) / frameLen
	e := make([]float64, n)
	for i := range e {
		var s float64
		for _, v := range pcm[i*frameLen : (i+1)*frameLen] {
			f := float64(v)
			s += f * f
		}
		e[i] = s / float64(frameLen)
	}
	return e
}

func labelFrames(pcm []int16, frameLen int, belowPeakDB float64) []bool {
	e := frameEnergies(pcm, frameLen)
	var peak float64
	for _, v := range e {
		peak = max(peak, v)
	}
	thr := peak * math.Pow(10, -belowPeakDB/10)
	lab := make([]bool, len(e))
	for i, v := range e {
		lab[i] = v > thr && v > 0
	}
	return lab
}

// stream is a labelled evaluation signal.
type stream struct {
	clean  []int16 // speech and digital silence, 16 kHz
	labels []bool  // per 10 ms unit at any rate, labelDB
	deep   []bool  // the same with labelDBDeep
}

const unitMS = 10 // label resolution; frames of 10 and 20 ms are whole units

// buildStream concatenates the utterances, trimmed to whole units, with
// silences of known lengths between them (300 ms to 2 s) and a lead-in of
// 1 s so that the detector hears noise before the first word, as on a call.
func buildStream(utts [][]int16) stream {
	unit := corpusRate * unitMS / 1000
	gaps := []int{1000, 300, 700, 2000, 450, 1200, 350, 900, 1500, 600, 300, 800, 1100, 400, 1000}
	var s stream
	addSilence := func(ms int) {
		n := ms / unitMS
		s.clean = append(s.clean, make([]int16, n*unit)...)
		s.labels = append(s.labels, make([]bool, n)...)
		s.deep = append(s.deep, make([]bool, n)...)
	}
	for i, u := range utts {
		addSilence(gaps[i%len(gaps)])
		u = u[:len(u)/unit*unit]
		s.clean = append(s.clean, u...)
		s.labels = append(s.labels, labelFrames(u, unit, labelDB)...)
		s.deep = append(s.deep, labelFrames(u, unit, labelDBDeep)...)
	}
	addSilence(gaps[len(utts)%len(gaps)])
	return s
}

// speechPower is the mean square of the clean signal over its speech units:
// the "S" of the SNR.
func speechPower(s stream) float64 {
	unit := corpusRate * unitMS / 1000
	var sum float64
	var n int
	for i, l := range s.labels {
		if !l {
			continue
		}
		for _, v := range s.clean[i*unit : (i+1)*unit] {
			f := float64(v)
			sum += f * f
		}
		n += unit
	}
	return sum / float64(n)
}

type noiseKind int

const (
	pinkNoise noiseKind = iota
	brownNoise
)

func (k noiseKind) String() string {
	if k == pinkNoise {
		return "pink"
	}
	return "brown"
}

// noise returns n samples of unit-power coloured noise from a fixed seed.
func noise(kind noiseKind, n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]float64, n)
	switch kind {
	case pinkNoise:
		// Paul Kellet's refined filter: -3 dB/octave within 0.05 dB above
		// 9 Hz at 44.1 kHz, close enough at 16 kHz.
		var b0, b1, b2, b3, b4, b5, b6 float64
		for i := range out {
			w := r.NormFloat64()
			b0 = 0.99886*b0 + w*0.0555179
			b1 = 0.99332*b1 + w*0.0750759
			b2 = 0.96900*b2 + w*0.1538520
			b3 = 0.86650*b3 + w*0.3104856
			b4 = 0.55000*b4 + w*0.5329522
			b5 = -0.7616*b5 - w*0.0168980
			out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w*0.5362
			b6 = w * 0.115926
		}
	case brownNoise:
		// Leaky integration of white noise: -6 dB/octave above ~2.5 Hz.
		var y float64
		for i := range out {
			y = 0.999*y + r.NormFloat64()
			out[i] = y
		}
	}
	var p float64
	for _, v := range out {
		p += v * v
	}
	g := 1 / math.Sqrt(p/float64(n))
	for i := range out {
		out[i] *= g
	}
	return out
}

// mix adds noise to the clean signal at snrDB relative to speechPow.
func mix(clean []int16, nz []float64, speechPow, snrDB float64) []int16 {
	g := math.Sqrt(speechPow / math.Pow(10, snrDB/10))
	out := make([]int16, len(clean))
	for i, v := range clean {
		out[i] = clip(float64(v) + g*nz[i])
	}
	return out
}

func clip(f float64) int16 {
	return int16(max(-32768, min(32767, math.Round(f))))
}

// decimate halves the rate with a 63-tap windowed-sinc low-pass cut at
// 3.6 kHz. The filter is symmetric and centred, so the output keeps the
// timing of the input and the labels still apply.
func decimate(in []int16) []int16 {
	const taps = 63
	const fc = 3600.0 / corpusRate
	var h [taps]float64
	var sum float64
	for i := range h {
		m := float64(i - taps/2)
		sinc := 2 * fc
		if m != 0 {
			sinc = math.Sin(2*math.Pi*fc*m) / (math.Pi * m)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/(taps-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/(taps-1))
		h[i] = sinc * w
		sum += h[i]
	}
	out := make([]int16, len(in)/2)
	for o := range out {
		c := 2 * o
		var acc float64
		for k := range h {
			j := c + k - taps/2
			if j >= 0 && j < len(in) {
				acc += h[k] * float64(in[j])
			}
		}
		out[o] = clip(acc / sum)
	}
	return out
}
