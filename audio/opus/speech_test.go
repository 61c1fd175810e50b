package opus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const speechText = "Thank you for calling Switchboard. Your appointment is on Tuesday at four thirty in the afternoon."

// speech synthesizes speechText with flite at rate (16 kHz voice "slt",
// resampled with sox for other rates) and returns the PCM. It skips the test
// when the tools are missing.
func speech(t testing.TB, rate int) []int16 {
	t.Helper()
	pcm, _ := speechWAV(t, rate)
	return pcm
}

// speechWAV is speech that also returns the path of the WAVE file.
func speechWAV(t testing.TB, rate int) ([]int16, string) {
	t.Helper()
	if _, err := exec.LookPath("flite"); err != nil {
		t.Skip("flite not installed")
	}
	dir := t.TempDir()
	wav := filepath.Join(dir, "speech.wav")
	if out, err := exec.Command("flite", "-voice", "slt", "-t", speechText, "-o", wav).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v: %s", err, out)
	}
	if rate != 16000 {
		if _, err := exec.LookPath("sox"); err != nil {
			t.Skip("sox not installed")
		}
		res := filepath.Join(dir, "resampled.wav")
		if out, err := exec.Command("sox", wav, "-r", fmt.Sprint(rate), res).CombinedOutput(); err != nil {
			t.Fatalf("sox: %v: %s", err, out)
		}
		wav = res
	}
	pcm, got, err := readWAVFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	if got != rate {
		t.Fatalf("%s is %d Hz, want %d", wav, got, rate)
	}
	return pcm, wav
}

func readWAVFile(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	return readWAV(b)
}

// readWAV is a minimal RIFF/WAVE reader for mono 16-bit PCM, enough for the
// files flite, sox and opusdec write.
func readWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("not a WAVE file")
	}
	b = b[12:]
	rate := 0
	for len(b) >= 8 {
		id, size := string(b[:4]), int(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
		if size > len(b) {
			size = len(b) // sox and opusdec may leave the size open when piping
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("short fmt chunk")
			}
			format, channels, bits := binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:]), binary.LittleEndian.Uint16(b[14:])
			if (format != 1 && format != 0xfffe) || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("want mono 16-bit PCM, got format %d, %d channels, %d bits", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(b[4:]))
		case "data":
			if rate == 0 {
				return nil, 0, fmt.Errorf("data before fmt")
			}
			pcm := make([]int16, size/2)
			if err := binary.Read(bytes.NewReader(b[:size&^1]), binary.LittleEndian, pcm); err != nil {
				return nil, 0, err
			}
			return pcm, rate, nil
		}
		b = b[size+size&1:]
	}
	return nil, 0, fmt.Errorf("no data chunk")
}

// correlation is the normalized cross-correlation of a and b[lag:].
func correlation(a, b []int16, lag int) float64 {
	var ab, aa, bb float64
	for i := range a {
		j := i + lag
		if j < 0 || j >= len(b) {
			continue
		}
		x, y := float64(a[i]), float64(b[j])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// envelopeCorrelation correlates the per-frame log energies of a and b[lag:]:
// a codec-independent check that loud and quiet parts line up.
func envelopeCorrelation(a, b []int16, lag, frame int) float64 {
	var ea, eb []float64
	for i := 0; i+frame <= len(a) && i+lag+frame <= len(b); i += frame {
		if i+lag < 0 {
			continue
		}
		ea = append(ea, logEnergy(a[i:i+frame]))
		eb = append(eb, logEnergy(b[i+lag:i+lag+frame]))
	}
	return pearson(ea, eb)
}

func logEnergy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return math.Log10(1 + e/float64(len(x)))
}

func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var ab, aa, bb float64
	for i := range a {
		ab += (a[i] - ma) * (b[i] - mb)
		aa += (a[i] - ma) * (a[i] - ma)
		bb += (b[i] - mb) * (b[i] - mb)
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// snr is the signal-to-noise ratio in dB of b[lag:] against reference a.
func snr(a, b []int16, lag int) float64 {
	var s, n float64
	for i := range a {
		j := i + lag
		if j < 0 || j >= len(b) {
			continue
		}
		d := float64(a[i]) - float64(b[j])
		s += float64(a[i]) * float64(a[i])
		n += d * d
	}
	return 10 * math.Log10(s/n)
}

// roundTrip encodes pcm frame by frame and decodes it again.
func roundTrip(t testing.TB, enc *Encoder, dec *Decoder, pcm []int16) (out []int16, packets [][]byte) {
	t.Helper()
	fs := enc.FrameSamples()
	pkt := make([]byte, MaxPacketBytes)
	frame := make([]int16, 5760)
	for i := 0; i+fs <= len(pcm); i += fs {
		n, err := enc.Encode(pkt, pcm[i:i+fs])
		if err != nil {
			t.Fatalf("encode frame %d: %v", i/fs, err)
		}
		packets = append(packets, bytes.Clone(pkt[:n]))
		m, err := dec.Decode(frame, pkt[:n])
		if err != nil {
			t.Fatalf("decode frame %d: %v", i/fs, err)
		}
		out = append(out, frame[:m]...)
	}
	return out, packets
}
