package g711

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

type law struct {
	name   string
	shift  uint // bits G.191 drops by truncation before quantising
	negZ   byte // the code G.191 gives to -1 … -(1<<shift): negative zero
	enc    func(int16) byte
	dec    func(byte) int16
	encs   func([]byte, []int16) int
	decs   func([]int16, []byte) int
	golden string
}

var laws = []law{
	{"ulaw", 2, 0x7F, LinearToULaw, ULawToLinear, EncodeULaw, DecodeULaw, "ulaw"},
	{"alaw", 3, 0x55, LinearToALaw, ALawToLinear, EncodeALaw, DecodeALaw, "alaw"},
}

func readGolden(t *testing.T, name string, size int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("golden file (regenerate with `go run gen.go` in testdata): %v", err)
	}
	if len(b) != size {
		t.Fatalf("%s: %d bytes, want %d", name, len(b), size)
	}
	return b
}

// TestDecodeGolden checks every code of both laws against SoX.
func TestDecodeGolden(t *testing.T) {
	for _, l := range laws {
		t.Run(l.name, func(t *testing.T) {
			g := readGolden(t, l.golden+"_decode.golden", 512)
			codes := make([]byte, 256)
			for i := range codes {
				codes[i] = byte(i)
			}
			out := make([]int16, 256)
			if n := l.decs(out, codes); n != 256 {
				t.Fatalf("decoded %d, want 256", n)
			}
			for c := range 256 {
				want := int16(binary.LittleEndian.Uint16(g[2*c:]))
				if got := l.dec(byte(c)); got != want {
					t.Errorf("code %#02x: single %d, want %d", c, got, want)
				}
				if out[c] != want {
					t.Errorf("code %#02x: slice %d, want %d", c, out[c], want)
				}
			}
		})
	}
}

// TestEncodeGolden checks all 65,536 inputs of both laws against SoX.
//
// SoX and the ITU-T G.191 reference differ in one deliberate way: before
// quantising, SoX rounds the 16-bit sample to the nearest 14-bit (μ-law) or
// 13-bit (A-law) value, while G.191 truncates (and takes the one's
// complement of negative samples). Near a decision level the two can land in
// adjacent intervals. We follow G.191, and verify it against SoX by asking
// SoX about the truncated input instead: for the representative r of x's
// truncation class (a multiple of 1<<shift, which SoX's rounding leaves
// untouched), SoX(r) must be our code for x. The only inputs for which no
// such representative exists are -1 … -(1<<shift) under μ-law, which G.191
// encodes as negative zero (0x7F) and SoX as positive zero (0xFF); both
// decode to 0.
func TestEncodeGolden(t *testing.T) {
	for _, l := range laws {
		t.Run(l.name, func(t *testing.T) {
			g := readGolden(t, l.golden+"_encode.golden", 65536)
			sox := func(x int32) byte { return g[x+32768] }
			in := make([]int16, 65536)
			for i := range in {
				in[i] = int16(i - 32768)
			}
			out := make([]byte, 65536)
			if n := l.encs(out, in); n != 65536 {
				t.Fatalf("encoded %d, want 65536", n)
			}
			step := int32(1) << l.shift
			direct := 0
			for i, x := range in {
				x32 := int32(x)
				var want byte
				switch {
				case l.name == "ulaw" && x32 < 0 && x32 >= -step:
					want = l.negZ
				case l.name == "ulaw" && x32 < 0:
					// μ-law negatives: G.191's magnitude is (^x)>>2, SoX's
					// is -round(x/4); the multiple of 4 at -4*((^x)>>2)
					// gives SoX the same magnitude.
					want = sox(-step * ((^x32) >> l.shift))
				default:
					// x>>shift is what G.191 keeps; SoX agrees on exact
					// multiples. (For A-law negatives SoX's own
					// -v-1 fold equals G.191's one's complement.)
					want = sox(step * (x32 >> l.shift))
				}
				if got := l.enc(x); got != want {
					t.Errorf("x=%d: single %#02x, want %#02x", x, got, want)
				}
				if out[i] != want {
					t.Errorf("x=%d: slice %#02x, want %#02x", x, out[i], want)
				}
				if out[i] != sox(x32) {
					direct++
					// Where rounding and truncation disagree the codes must
					// be neighbours: same sign, one interval apart.
					if !adjacent(l, out[i], sox(x32)) {
						t.Errorf("x=%d: ours %#02x (%d) vs SoX %#02x (%d) are not adjacent", x, out[i], l.dec(out[i]), sox(x32), l.dec(sox(x32)))
					}
				}
			}
			t.Logf("%s: %d of 65536 inputs differ from SoX's rounding quantiser, all explained by truncation", l.name, direct)
		})
	}
}

// adjacent reports whether codes a and b are neighbouring quantisation
// intervals (the two zeros of μ-law count as one value).
func adjacent(l law, a, b byte) bool {
	va, vb := l.dec(a), l.dec(b)
	lo, hi := min(va, vb), max(va, vb)
	if lo == hi {
		return true
	}
	// No decoded value may lie strictly between them.
	for c := range 256 {
		if v := l.dec(byte(c)); v > lo && v < hi {
			return false
		}
	}
	return true
}

// TestRoundTrip checks the fixed points of the laws: decoding then encoding
// returns the code, except negative zero, which encodes as positive zero.
func TestRoundTrip(t *testing.T) {
	for _, l := range laws {
		t.Run(l.name, func(t *testing.T) {
			for c := range 256 {
				v := l.dec(byte(c))
				got := l.enc(v)
				want := byte(c)
				if v == 0 {
					// G.711 μ-law has two zeros (0x7F, 0xFF); 0 is positive.
					want = 0xFF
				}
				if got != want {
					t.Errorf("enc(dec(%#02x)=%d) = %#02x, want %#02x", c, v, got, want)
				}
			}
		})
	}
}

// TestMonotonic checks that encoding is monotone in the input: the decoded
// value never decreases as the input increases.
func TestMonotonic(t *testing.T) {
	for _, l := range laws {
		t.Run(l.name, func(t *testing.T) {
			prev := int16(-32768)
			for x := -32768; x <= 32767; x++ {
				v := l.dec(l.enc(int16(x)))
				if v < prev {
					t.Fatalf("x=%d decodes to %d < %d", x, v, prev)
				}
				prev = v
			}
		})
	}
}

func TestSliceLengths(t *testing.T) {
	src := []int16{1000, -1000, 30000, -30000, 0}
	cases := []struct {
		name          string
		dstLen, srcLn int
		want          int
	}{
		{"equal", 5, 5, 5},
		{"short dst", 3, 5, 3},
		{"short src", 8, 2, 2},
		{"empty dst", 0, 5, 0},
		{"empty src", 4, 0, 0},
	}
	for _, l := range laws {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%s", l.name, c.name), func(t *testing.T) {
				dst := make([]byte, c.dstLen+1)
				sentinel := byte(0xA5)
				dst[c.dstLen] = sentinel
				if n := l.encs(dst[:c.dstLen], src[:c.srcLn]); n != c.want {
					t.Fatalf("encode n=%d, want %d", n, c.want)
				}
				if dst[c.dstLen] != sentinel {
					t.Fatal("encode wrote past len(dst)")
				}
				for i := range c.want {
					if dst[i] != l.enc(src[i]) {
						t.Errorf("encode[%d]=%#02x, want %#02x", i, dst[i], l.enc(src[i]))
					}
				}
				codes := make([]byte, c.srcLn)
				pcm := make([]int16, c.dstLen+1)
				pcm[c.dstLen] = 12345
				if n := l.decs(pcm[:c.dstLen], codes); n != min(c.dstLen, c.srcLn) {
					t.Fatalf("decode n=%d, want %d", n, min(c.dstLen, c.srcLn))
				}
				if pcm[c.dstLen] != 12345 {
					t.Fatal("decode wrote past len(dst)")
				}
			})
		}
	}
}

func TestNoAllocs(t *testing.T) {
	pcm := make([]int16, 160)
	code := make([]byte, 160)
	for _, l := range laws {
		if a := testing.AllocsPerRun(100, func() {
			l.encs(code, pcm)
			l.decs(pcm, code)
		}); a != 0 {
			t.Errorf("%s: %v allocs per frame, want 0", l.name, a)
		}
	}
}

// FuzzRoundTrip checks, for arbitrary samples, that the slice and the
// single-sample functions agree and that re-encoding a decoded frame is
// lossless (G.711 decode outputs are fixed points of encode).
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 0, 0xFF, 0x7F, 0x00, 0x80, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, raw []byte) {
		pcm := make([]int16, len(raw)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		for _, l := range laws {
			codes := make([]byte, len(pcm))
			l.encs(codes, pcm)
			back := make([]int16, len(pcm))
			l.decs(back, codes)
			again := make([]byte, len(pcm))
			l.encs(again, back)
			for i := range pcm {
				if codes[i] != l.enc(pcm[i]) {
					t.Fatalf("%s: slice/single disagree at %d", l.name, pcm[i])
				}
				if l.dec(again[i]) != back[i] {
					t.Fatalf("%s: %d → %#02x → %d → %#02x not stable", l.name, pcm[i], codes[i], back[i], again[i])
				}
				// Quantisation error is bounded by the largest interval.
				if d := int32(back[i]) - int32(pcm[i]); d < -1024-8 || d > 1024+8 {
					if !(pcm[i] > 32000 || pcm[i] < -32000) {
						t.Fatalf("%s: %d decodes to %d, error too large", l.name, pcm[i], back[i])
					}
				}
			}
		}
	})
}
