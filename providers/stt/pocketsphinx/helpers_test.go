package pocketsphinx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The test corpus: call-center sentences the recogniser must get, and
// distractors of the same domain that go into the domain model too, so the
// model is not just the answer key.
var sentences = []string{
	"I would like to book an appointment for tomorrow at ten",
	"my account number is four five six seven",
	"can you tell me your opening hours",
	"I want to cancel my order",
	"I need to speak to a manager please",
	"my package has not arrived yet",
	"can I change my delivery address",
	"I was charged twice on my last bill",
	"please reset my password",
	"what is the status of my refund",
}

var distractors = []string{
	"I would like to reschedule my appointment",
	"can I book a table for two",
	"what time do you close on saturday",
	"my order number is one two three",
	"I want to return an item",
	"I need help with my account",
	"can you send me a new card",
	"I would like to speak to an agent",
	"my phone number is five five five one two three four",
	"is the store open on sunday",
	"I want to upgrade my plan",
	"please cancel my subscription",
	"how much does shipping cost",
	"where is my package",
	"I forgot my username",
	"can I pay by credit card",
	"the payment did not go through",
	"I want to change my appointment to friday",
	"do you have any appointments next week",
	"my internet is not working",
	"I would like a refund please",
	"can you check my balance",
	"I need to update my billing address",
	"what are your hours on monday",
	"the delivery was late",
	"I received the wrong item",
	"can I talk to someone in billing",
	"please transfer me to support",
	"yes that is correct",
	"no thank you goodbye",
}

// synthDir holds flite renderings shared by every test and benchmark in
// the package; TestMain removes it.
var synthDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pocketsphinx-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	synthDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	synthMu    sync.Mutex // guards synthCache
	synthCache = map[string][]int16{}
)

// speech renders text with the flite CLI (slt voice, 16 kHz PCM16).
func speech(tb testing.TB, text string) []int16 {
	tb.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if pcm, ok := synthCache[text]; ok {
		return pcm
	}
	if _, err := exec.LookPath("flite"); err != nil {
		tb.Skip("flite not installed (apt-get install flite)")
	}
	path := filepath.Join(synthDir, fmt.Sprintf("s%d.wav", len(synthCache)))
	if out, err := exec.Command("flite", "-voice", "slt", "-t", text, "-o", path).CombinedOutput(); err != nil {
		tb.Fatalf("flite: %v: %s", err, out)
	}
	pcm, rate, err := readWAV(path)
	if err != nil {
		tb.Fatal(err)
	}
	if rate != 16000 {
		tb.Fatalf("flite wrote %d Hz, want 16000", rate)
	}
	synthCache[text] = pcm
	return pcm
}

// readWAV reads a mono PCM16 RIFF file: enough for flite's output.
func readWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(p+8+n, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body) != 1 ||
				binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, errors.New("not mono PCM16")
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			pcm := make([]int16, len(body)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		p += 8 + n + n&1
	}
	return nil, 0, errors.New("no data chunk")
}

// phoneLine models the Twilio path: low-pass and decimate 16 kHz to 8 kHz,
// then G.711 μ-law encode and decode. The result is 8 kHz PCM16.
func phoneLine(pcm16k []int16) []int16 {
	// Windowed-sinc low-pass at 3.6 kHz (Hamming, 63 taps), kept
	// test-local so that the test does not trust the resampler it feeds.
	const taps = 63
	var h [taps]float64
	fc := 3600.0 / 16000
	sum := 0.0
	for i := range h {
		m := float64(i - taps/2)
		sinc := 2 * fc
		if m != 0 {
			sinc = math.Sin(2*math.Pi*fc*m) / (math.Pi * m)
		}
		h[i] = sinc * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/(taps-1)))
		sum += h[i]
	}
	out := make([]int16, len(pcm16k)/2)
	for o := range out {
		acc := 0.0
		c := 2 * o
		for k := range h {
			if j := c + k - taps/2; j >= 0 && j < len(pcm16k) {
				acc += h[k] / sum * float64(pcm16k[j])
			}
		}
		out[o] = ulawToLinear(linearToULaw(int16(max(min(acc, 32767), -32768))))
	}
	return out
}

// linearToULaw and ulawToLinear follow ITU-T G.711 (the classic Sun
// reference implementation), test-local for the same reason as above.
func linearToULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x, clip) + bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

func ulawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// feed writes pcm in 20 ms frames, as the audio read loop does.
func feed(tb testing.TB, s interface{ Write([]int16) error }, pcm []int16, rate int) {
	tb.Helper()
	frame := rate / 50
	for i := 0; i < len(pcm); i += frame {
		if err := s.Write(pcm[i:min(i+frame, len(pcm))]); err != nil {
			tb.Fatal(err)
		}
	}
}

func silence(ms, rate int) []int16 { return make([]int16, ms*rate/1000) }
