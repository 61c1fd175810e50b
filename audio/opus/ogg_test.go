package opus

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/switchboard-voice/switchboard/audio/ogg"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (Debian package opus-tools)", name)
	}
}

// encodeOgg encodes pcm at rate into an Ogg Opus file.
func encodeOgg(t *testing.T, pcm []int16, rate int) (file []byte, packets [][]byte) {
	t.Helper()
	enc, err := NewEncoder(Config{SampleRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewOggWriter(&buf, rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, MaxPacketBytes)
	fs := enc.FrameSamples()
	for i := 0; i+fs <= len(pcm); i += fs {
		n, err := enc.Encode(pkt, pcm[i:i+fs])
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(pkt[:n]); err != nil {
			t.Fatal(err)
		}
		packets = append(packets, bytes.Clone(pkt[:n]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), packets
}

func TestOggRoundTrip(t *testing.T) {
	pcm := speech(t, 16000)
	file, want := encodeOgg(t, pcm, 16000)
	got, head, err := ReadOggFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if head.Channels != 1 || head.PreSkip != PreSkip48k || head.InputSampleRate != 16000 || head.Version != 1 {
		t.Fatalf("head %+v", head)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d packets, wrote %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("packet %d differs", i)
		}
	}
	// The last granule is the pre-skip plus every sample, in 48 kHz units.
	r := ogg.NewReader(bytes.NewReader(file))
	var last ogg.Packet
	for {
		p, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = p
	}
	if wantG := int64(PreSkip48k + len(want)*960); last.Granule != wantG || !last.EOS {
		t.Fatalf("final granule %d EOS %t, want %d and EOS", last.Granule, last.EOS, wantG)
	}
}

// Our file must play in the reference decoder and sound like the input.
func TestOggWriterDecodesWithOpusdec(t *testing.T) {
	needTool(t, "opusdec")
	pcm := speech(t, 16000)
	file, packets := encodeOgg(t, pcm, 16000)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.opus"), filepath.Join(dir, "out.wav")
	if err := os.WriteFile(in, file, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("opusdec", "--quiet", "--rate", "16000", in, out).CombinedOutput(); err != nil {
		t.Fatalf("opusdec: %v: %s", err, b)
	}
	dec, rate, err := readWAVFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 16000 {
		t.Fatalf("opusdec wrote %d Hz", rate)
	}
	// opusdec drops the pre-skip, so the output is aligned with the input
	// and as long as what was encoded.
	if want := len(packets) * 320; abs(len(dec)-want) > 320 {
		t.Fatalf("opusdec gave %d samples, want about %d", len(dec), want)
	}
	lag, corr := 0, 0.0
	for l := -16; l <= 16; l++ {
		if c := correlation(pcm, dec, l); c > corr {
			lag, corr = l, c
		}
	}
	t.Logf("opusdec output: lag %d corr %.3f", lag, corr)
	if corr < 0.85 {
		t.Fatalf("opusdec output correlates %.3f with the input", corr)
	}
}

// A file from the reference encoder must read with our reader and decode with
// our decoder.
func TestOpusencFileDecodes(t *testing.T) {
	needTool(t, "opusenc")
	pcm, in := speechWAV(t, 16000)
	out := filepath.Join(t.TempDir(), "out.opus")
	if b, err := exec.Command("opusenc", "--quiet", "--bitrate", "32", in, out).CombinedOutput(); err != nil {
		t.Fatalf("opusenc: %v: %s", err, b)
	}
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewOggReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if r.Head().Channels != 1 || r.Head().InputSampleRate != 16000 {
		t.Fatalf("head %+v", r.Head())
	}
	if r.Tags().Vendor == "" {
		t.Fatalf("no vendor string in OpusTags")
	}
	dec, err := NewDecoder(16000)
	if err != nil {
		t.Fatal(err)
	}
	var got []int16
	buf := make([]int16, 5760)
	for {
		p, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n, err := dec.Decode(buf, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	skip := int(r.Head().PreSkip) / 3 // 48 kHz units to 16 kHz
	if len(got) < skip+len(pcm) {
		t.Fatalf("decoded %d samples, want at least %d", len(got), skip+len(pcm))
	}
	got = got[skip:]
	lag, corr := 0, 0.0
	for l := -16; l <= 16; l++ {
		if c := correlation(pcm, got, l); c > corr {
			lag, corr = l, c
		}
	}
	t.Logf("opusenc file: pre-skip %d, lag %d corr %.3f", r.Head().PreSkip, lag, corr)
	if corr < 0.85 {
		t.Fatalf("decoded opusenc file correlates %.3f with the input", corr)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestHeaderRoundTrip(t *testing.T) {
	heads := []Head{
		{Version: 1, Channels: 1, PreSkip: 312, InputSampleRate: 16000, OutputGain: -256},
		{Version: 1, Channels: 3, PreSkip: 3840, MappingFamily: 1, StreamCount: 2, CoupledCount: 1, Mapping: []byte{0, 2, 1}},
	}
	for _, h := range heads {
		b, _ := h.AppendBinary(nil)
		got, err := ParseHead(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.Channels != h.Channels || got.PreSkip != h.PreSkip || got.OutputGain != h.OutputGain ||
			got.InputSampleRate != h.InputSampleRate || !bytes.Equal(got.Mapping, h.Mapping) {
			t.Fatalf("got %+v, want %+v", got, h)
		}
	}
	tags := Tags{Vendor: "v", Comments: []string{"TITLE=x", "", "ARTIST=y"}}
	b, _ := tags.AppendBinary(nil)
	got, err := ParseTags(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Vendor != "v" || len(got.Comments) != 3 || got.Comments[2] != "ARTIST=y" {
		t.Fatalf("got %+v", got)
	}
}

func TestHeaderErrors(t *testing.T) {
	good, _ := Head{Version: 1, Channels: 1}.AppendBinary(nil)
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	heads := map[string][]byte{
		"short":             good[:18],
		"magic":             mut(func(b []byte) []byte { b[0] = 'o'; return b }),
		"major version":     mut(func(b []byte) []byte { b[8] = 0x10; return b }),
		"zero channels":     mut(func(b []byte) []byte { b[9] = 0; return b }),
		"3ch family 0":      mut(func(b []byte) []byte { b[9] = 3; return b }),
		"family 1 no table": mut(func(b []byte) []byte { b[18] = 1; return b }),
		"family 1 0 streams": mut(func(b []byte) []byte {
			b[18] = 1
			return append(b, 0, 0, 0)
		}),
		"mapping out of range": mut(func(b []byte) []byte {
			b[18] = 1
			return append(b, 1, 0, 5)
		}),
	}
	for name, b := range heads {
		if _, err := ParseHead(b); !errors.Is(err, ErrHeader) {
			t.Errorf("%s: %v, want ErrHeader", name, err)
		}
	}
	goodTags, _ := Tags{Vendor: "abc", Comments: []string{"A=1"}}.AppendBinary(nil)
	tags := map[string][]byte{
		"short":          goodTags[:10],
		"vendor overrun": append([]byte("OpusTags\xff\x00\x00\x00"), 0, 0, 0, 0),
		"huge count":     append([]byte("OpusTags\x00\x00\x00\x00"), 0xff, 0xff, 0xff, 0xff),
		"comment cut":    goodTags[:len(goodTags)-1],
	}
	for name, b := range tags {
		if _, err := ParseTags(b); !errors.Is(err, ErrHeader) {
			t.Errorf("tags %s: %v, want ErrHeader", name, err)
		}
	}
}

func TestOggReaderRejects(t *testing.T) {
	pcm := make([]int16, 16000)
	file, _ := encodeOgg(t, pcm, 16000)
	// Not Opus: an Ogg stream whose first packet is something else.
	var other bytes.Buffer
	w := ogg.NewWriter(&other, 1)
	_ = w.WritePacket([]byte("\x01vorbis"), 0)
	_ = w.Close()
	// OpusHead sharing its page with the next packet.
	var shared bytes.Buffer
	w = ogg.NewWriter(&shared, 1)
	head, _ := Head{Version: 1, Channels: 1}.AppendBinary(nil)
	tags, _ := Tags{}.AppendBinary(nil)
	_ = w.WritePacket(head, 0)
	_ = w.WritePacket(tags, 0)
	_ = w.Close()
	bad := bytes.Clone(file)
	bad[len(bad)-3] ^= 0x40

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ogg.ErrTruncated},
		{"headers only cut", file[:40], ogg.ErrTruncated},
		{"not opus", other.Bytes(), ErrHeader},
		{"head shares page", shared.Bytes(), ErrHeader},
		{"corrupt last page", bad, ogg.ErrChecksum},
		{"cut mid file", file[:len(file)-5], ogg.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ReadOggFile(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOggWriterRejectsBadPacket(t *testing.T) {
	w, err := NewOggWriter(io.Discard, 16000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket([]byte{9<<3 | 1, 1}); !errors.Is(err, ErrInvalidPacket) {
		t.Fatalf("got %v, want ErrInvalidPacket", err)
	}
	if _, err := NewOggWriter(io.Discard, 16000, 3); !errors.Is(err, ErrConfig) {
		t.Fatalf("3 channels: %v, want ErrConfig", err)
	}
}
