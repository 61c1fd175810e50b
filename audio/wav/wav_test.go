package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// chunk builds a RIFF chunk, with its pad byte when the body is odd.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// chunkSized builds a chunk header with an arbitrary size field.
func chunkSized(id string, size uint32, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, size)...)
	return append(b, body...)
}

func fmtBody(tag, channels uint16, rate uint32, blockAlign, bits uint16) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, tag)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(blockAlign))
	b = le.AppendUint16(b, blockAlign)
	return le.AppendUint16(b, bits)
}

func extensible(channels uint16, rate uint32, bits, valid uint16, sub uint16) []byte {
	le := binary.LittleEndian
	b := fmtBody(formatExtensible, channels, rate, channels*bits/8, bits)
	b = le.AppendUint16(b, 22)
	b = le.AppendUint16(b, valid)
	b = le.AppendUint32(b, 0x4) // SPEAKER_FRONT_CENTER
	b = le.AppendUint16(b, sub)
	return append(b, ksDataFormatSubtypeTail...)
}

// riff wraps chunks in a RIFF/WAVE container with a correct size.
func riff(chunks ...[]byte) []byte {
	body := []byte("WAVE")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func riffSized(size uint32, chunks ...[]byte) []byte {
	b := riff(chunks...)
	binary.LittleEndian.PutUint32(b[4:], size)
	return b
}

var pcm4 = []byte{1, 0, 2, 0, 0xFF, 0xFF, 0, 0x80} // samples 1, 2, -1, -32768

type decodeCase struct {
	name     string
	in       []byte
	format   Format
	rate     int
	channels int
	data     []byte
	err      error
}

func decodeCases() []decodeCase {
	mono16 := chunk("fmt ", fmtBody(1, 1, 8000, 2, 16))
	return []decodeCase{
		{name: "canonical pcm", in: riff(mono16, chunk("data", pcm4)),
			format: PCM16, rate: 8000, channels: 1, data: pcm4},
		{name: "stereo 48k", in: riff(chunk("fmt ", fmtBody(1, 2, 48000, 4, 16)), chunk("data", pcm4)),
			format: PCM16, rate: 48000, channels: 2, data: pcm4},
		{name: "mulaw 18-byte fmt and fact", in: riff(chunk("fmt ", append(fmtBody(7, 1, 8000, 1, 8), 0, 0)), chunk("fact", []byte{3, 0, 0, 0}), chunk("data", []byte{0xFF, 0x7F, 0x00})),
			format: ULaw, rate: 8000, channels: 1, data: []byte{0xFF, 0x7F, 0x00}},
		{name: "alaw odd data with pad then LIST", in: riff(chunk("fmt ", fmtBody(6, 1, 8000, 1, 8)), chunk("data", []byte{0xD5, 0x55, 0x2A}), chunk("LIST", []byte("INFOISFT\x03\x00\x00\x00ab\x00\x00"))),
			format: ALaw, rate: 8000, channels: 1, data: []byte{0xD5, 0x55, 0x2A}},
		{name: "odd LIST chunk before fmt", in: riff(chunk("LIST", []byte("INFOx")), mono16, chunk("data", pcm4)),
			format: PCM16, rate: 8000, channels: 1, data: pcm4},
		{name: "odd data without pad at EOF", in: riff(chunk("fmt ", fmtBody(7, 1, 8000, 1, 8)), chunkSized("data", 3, []byte{1, 2, 3})),
			format: ULaw, rate: 8000, channels: 1, data: []byte{1, 2, 3}},
		{name: "extensible pcm", in: riff(chunk("fmt ", extensible(1, 16000, 16, 16, 1)), chunk("data", pcm4)),
			format: PCM16, rate: 16000, channels: 1, data: pcm4},
		{name: "extensible mulaw", in: riff(chunk("fmt ", extensible(2, 8000, 8, 8, 7)), chunk("data", []byte{1, 2})),
			format: ULaw, rate: 8000, channels: 2, data: []byte{1, 2}},
		{name: "streamed 0xFFFFFFFF", in: riffSized(0xFFFFFFFF, mono16, chunkSized("data", 0xFFFFFFFF, pcm4)),
			format: PCM16, rate: 8000, channels: 1, data: pcm4},
		{name: "streamed size 0", in: riffSized(0, mono16, chunkSized("data", 0, pcm4)),
			format: PCM16, rate: 8000, channels: 1, data: pcm4},
		{name: "streamed partial frame dropped", in: riffSized(0xFFFFFFFF, mono16, chunkSized("data", 0xFFFFFFFF, pcm4[:7])),
			format: PCM16, rate: 8000, channels: 1, data: pcm4[:6]},
		{name: "finished file with empty data then LIST", in: riff(mono16, chunk("data", nil), chunk("LIST", []byte("INFO"))),
			format: PCM16, rate: 8000, channels: 1, data: []byte{}},
		{name: "data before fmt", in: riff(chunk("data", pcm4), mono16),
			format: PCM16, rate: 8000, channels: 1, data: pcm4},
		{name: "riff size wrong but chunks fine", in: riffSized(12345678, mono16, chunk("data", pcm4)),
			format: PCM16, rate: 8000, channels: 1, data: pcm4},

		{name: "empty", in: nil, err: ErrNotWAV},
		{name: "short RIFF prefix", in: []byte("RIF"), err: ErrTruncated},
		{name: "text", in: []byte("hello, this is not a wave file"), err: ErrNotWAV},
		{name: "RIFF but AVI", in: append([]byte("RIFF\x04\x00\x00\x00AVI "), mono16...), err: ErrNotWAV},
		{name: "header only", in: riff(), err: ErrMalformed},
		{name: "cut inside chunk header", in: append(riff(mono16), 'd', 'a'), err: ErrTruncated},
		{name: "fmt overruns", in: riff(chunkSized("fmt ", 16, fmtBody(1, 1, 8000, 2, 16)[:10])), err: ErrTruncated},
		{name: "fmt too small", in: riff(chunk("fmt ", fmtBody(1, 1, 8000, 2, 16)[:14]), chunk("data", pcm4)), err: ErrMalformed},
		{name: "no fmt", in: riff(chunk("data", pcm4)), err: ErrMalformed},
		{name: "no data", in: riff(mono16, chunk("LIST", []byte("INFO"))), err: ErrMalformed},
		{name: "data overruns", in: riff(mono16, chunkSized("data", 100, pcm4)), err: ErrTruncated},
		{name: "unknown chunk overruns", in: riff(mono16, chunkSized("LIST", 100, pcm4)), err: ErrTruncated},
		{name: "two fmt", in: riff(mono16, mono16, chunk("data", pcm4)), err: ErrMalformed},
		{name: "24-bit pcm", in: riff(chunk("fmt ", fmtBody(1, 1, 8000, 3, 24)), chunk("data", pcm4[:6])), err: ErrUnsupportedFormat},
		{name: "8-bit pcm", in: riff(chunk("fmt ", fmtBody(1, 1, 8000, 1, 8)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "float", in: riff(chunk("fmt ", fmtBody(3, 1, 8000, 4, 32)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "mulaw 16-bit", in: riff(chunk("fmt ", fmtBody(7, 1, 8000, 2, 16)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "three channels", in: riff(chunk("fmt ", fmtBody(1, 3, 8000, 6, 16)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "zero channels", in: riff(chunk("fmt ", fmtBody(1, 0, 8000, 0, 16)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "zero rate", in: riff(chunk("fmt ", fmtBody(1, 1, 0, 2, 16)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "block align mismatch", in: riff(chunk("fmt ", fmtBody(1, 2, 8000, 2, 16)), chunk("data", pcm4)), err: ErrMalformed},
		{name: "extensible float", in: riff(chunk("fmt ", extensible(1, 8000, 32, 32, 3)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
		{name: "extensible 20 of 24 bits", in: riff(chunk("fmt ", extensible(1, 8000, 24, 20, 1)), chunk("data", pcm4[:6])), err: ErrUnsupportedFormat},
		{name: "extensible short", in: riff(chunk("fmt ", extensible(1, 8000, 16, 16, 1)[:30]), chunk("data", pcm4)), err: ErrMalformed},
		{name: "extensible foreign guid", in: riff(chunk("fmt ", append(extensible(1, 8000, 16, 16, 1)[:39], 0x70)), chunk("data", pcm4)), err: ErrUnsupportedFormat},
	}
}

func TestDecode(t *testing.T) {
	for _, c := range decodeCases() {
		t.Run(c.name, func(t *testing.T) {
			a, err := Decode(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				if a != nil {
					t.Fatalf("got audio %+v with error", a)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if a.Format != c.format || a.SampleRate != c.rate || a.Channels != c.channels {
				t.Errorf("got %v/%d Hz/%d ch, want %v/%d Hz/%d ch", a.Format, a.SampleRate, a.Channels, c.format, c.rate, c.channels)
			}
			if !bytes.Equal(a.Data, c.data) {
				t.Errorf("data = %x, want %x", a.Data, c.data)
			}
		})
	}
}

// TestSoxFiles decodes files written by SoX and checks that our encoder
// reproduces them byte for byte (SoX writes the same canonical headers).
func TestSoxFiles(t *testing.T) {
	cases := []struct {
		file           string
		format         Format
		rate, channels int
		frames         int
	}{
		{"pcm8k.wav", PCM16, 8000, 1, 160},
		{"st44.wav", PCM16, 44100, 2, 220},
		{"ulaw.wav", ULaw, 8000, 1, 160},
		{"alaw.wav", ALaw, 8000, 1, 160},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			a, err := Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if a.Format != c.format || a.SampleRate != c.rate || a.Channels != c.channels || a.Frames() != c.frames {
				t.Fatalf("got %v/%d/%d/%d frames", a.Format, a.SampleRate, a.Channels, a.Frames())
			}
			again, err := Encode(a.Format, a.SampleRate, a.Channels, a.Data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("re-encoded file differs from SoX's:\n got %x\nwant %x", again[:60], raw[:60])
			}
			if a.Format == PCM16 {
				return
			}
			// The G.711 files hold the same 440 Hz sine as pcm8k.wav: once
			// expanded they must match it within G.711's quantisation error
			// (half an interval: at most 1/32 of the magnitude plus a bit).
			ref, err := os.ReadFile(filepath.Join("testdata", "pcm8k.wav"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := Decode(ref)
			if err != nil {
				t.Fatal(err)
			}
			want, got := r.Int16(), a.Int16()
			if len(got) != len(want) {
				t.Fatalf("%d samples, want %d", len(got), len(want))
			}
			for i := range got {
				if d := abs(int(got[i]) - int(want[i])); d > abs(int(want[i]))/32+16 {
					t.Errorf("sample %d: %d, pcm has %d", i, got[i], want[i])
				}
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestInt16(t *testing.T) {
	cases := []struct {
		name string
		a    Audio
		want []int16
	}{
		{"pcm", Audio{Format: PCM16, SampleRate: 8000, Channels: 1, Data: pcm4}, []int16{1, 2, -1, -32768}},
		{"mulaw", Audio{Format: ULaw, SampleRate: 8000, Channels: 1, Data: []byte{0xFF, 0x80, 0x00}}, []int16{0, 32124, -32124}},
		{"alaw", Audio{Format: ALaw, SampleRate: 8000, Channels: 1, Data: []byte{0xD5, 0xAA, 0x2A}}, []int16{8, 32256, -32256}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.a.AppendInt16([]int16{7})
			if got[0] != 7 || len(got) != len(c.want)+1 {
				t.Fatalf("AppendInt16 = %v", got)
			}
			for i, w := range c.want {
				if got[i+1] != w {
					t.Errorf("sample %d = %d, want %d", i, got[i+1], w)
				}
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	cases := []struct {
		format         Format
		rate, channels int
		data           []byte
	}{
		{PCM16, 8000, 1, pcm4},
		{PCM16, 22050, 2, pcm4},
		{ULaw, 8000, 1, []byte{1, 2, 3}},
		{ALaw, 16000, 2, []byte{1, 2, 3, 4}},
		{PCM16, 24000, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.format.String(), func(t *testing.T) {
			f, err := Encode(c.format, c.rate, c.channels, c.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(f)%2 != 0 {
				t.Errorf("file length %d is odd: missing pad byte", len(f))
			}
			a, err := Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if a.Format != c.format || a.SampleRate != c.rate || a.Channels != c.channels || !bytes.Equal(a.Data, c.data) {
				t.Errorf("round trip gave %+v", a)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	cases := []struct {
		name           string
		format         Format
		rate, channels int
		data           []byte
		err            error
	}{
		{"float", Format(3), 8000, 1, nil, ErrUnsupportedFormat},
		{"no channels", PCM16, 8000, 0, nil, ErrUnsupportedFormat},
		{"rate", PCM16, 0, 1, nil, ErrUnsupportedFormat},
		{"partial frame", PCM16, 8000, 2, pcm4[:6], ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Encode(c.format, c.rate, c.channels, c.data); !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
		})
	}
}

func TestEncodePCM16(t *testing.T) {
	in := []int16{0, 1, -1, 32767, -32768, 1234}
	f, err := EncodePCM16(in, 16000, 2)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	got := a.Int16()
	if len(got) != len(in) || a.Frames() != 3 || a.Duration().Microseconds() != 187 {
		t.Fatalf("got %v, %d frames, %v", got, a.Frames(), a.Duration())
	}
	for i := range in {
		if got[i] != in[i] {
			t.Errorf("sample %d = %d, want %d", i, got[i], in[i])
		}
	}
}

// TestWriterSeekable streams to a file: Close must patch the sizes, so the
// file is a finished WAVE that another file can follow.
func TestWriterSeekable(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "*.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, ULaw, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{{1, 2}, {3}, {4, 5, 6, 7, 8, 9, 10}} {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	raw, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	want, err := Encode(ULaw, 8000, 1, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, want) {
		t.Errorf("patched file\n got %x\nwant %x", raw, want)
	}
}

// TestWriterStream writes to a non-seekable sink: the header keeps the
// "unknown length" marker and the file still decodes.
func TestWriterStream(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, PCM16, 16000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pcm4); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint32(buf.Bytes()[40:]); got != 0xFFFFFFFF {
		t.Errorf("data size field %#x, want 0xFFFFFFFF", got)
	}
	a, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Data, pcm4) {
		t.Errorf("data %x, want %x", a.Data, pcm4)
	}
	if _, err := NewWriter(&buf, Format(3), 8000, 1); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("NewWriter(float) err = %v", err)
	}
}

// FuzzDecode feeds arbitrary bytes to Decode: it must not panic, must fail
// only with a package sentinel, and whatever it accepts must survive an
// Encode/Decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases() {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Decode(in)
		if err != nil {
			if !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrTruncated) &&
				!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if len(a.Data)%(a.Channels*a.Format.BytesPerSample()) != 0 {
			t.Fatalf("%d data bytes is not whole frames of %v×%d", len(a.Data), a.Format, a.Channels)
		}
		if got := len(a.Int16()); got != a.Frames()*a.Channels {
			t.Fatalf("Int16 gave %d samples, want %d", got, a.Frames()*a.Channels)
		}
		f2, err := Encode(a.Format, a.SampleRate, a.Channels, a.Data)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		b, err := Decode(f2)
		if err != nil {
			t.Fatalf("decode re-encoded: %v", err)
		}
		if b.Format != a.Format || b.SampleRate != a.SampleRate || b.Channels != a.Channels || !bytes.Equal(a.Data, b.Data) {
			t.Fatalf("round trip changed %+v into %+v", a, b)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	pcm := make([]byte, 2*8000) // one second at 8 kHz
	f, err := Encode(PCM16, 8000, 1, pcm)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		if _, err := Decode(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeader(b *testing.B) {
	dst := make([]byte, 0, 64)
	for b.Loop() {
		dst = Header(dst[:0], ULaw, 8000, 1, 16000)
	}
}

func TestHeaderNoAllocs(t *testing.T) {
	dst := make([]byte, 0, 64)
	if a := testing.AllocsPerRun(100, func() { dst = Header(dst[:0], PCM16, 16000, 1, 320) }); a != 0 {
		t.Errorf("Header: %v allocs, want 0", a)
	}
}
