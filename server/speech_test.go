package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/actors/voice"
	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/audio/mp3"
	"github.com/switchboard-voice/switchboard/audio/opus"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/audio/wav"
	"github.com/switchboard-voice/switchboard/providers/engines"
	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
	"github.com/switchboard-voice/switchboard/server/servertest"
)

// callCenter are ten sentences a call center's agent says; the round trip
// synthesizes and transcribes each.
var callCenter = []string{
	"thank you for calling how can I help you today",
	"your appointment is confirmed for tuesday at three",
	"I can transfer you to the billing department",
	"please hold while I look up your account",
	"your order will arrive on friday morning",
	"can I have your account number please",
	"the payment was received yesterday",
	"would you like to reschedule your appointment",
	"I am sorry for the wait",
	"is there anything else I can help you with",
}

// rawDo sends a request with its own content type and headers.
func rawDo(t testing.TB, n *servertest.Node, method, path, key, contentType string, body io.Reader, header ...string) *servertest.Response {
	t.Helper()
	req, err := http.NewRequest(method, n.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := n.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	out := &servertest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
	if len(res.TransferEncoding) > 0 {
		out.Header.Set("X-Test-Transfer-Encoding", strings.Join(res.TransferEncoding, ","))
	}
	return out
}

// form builds a multipart body. Values that are []byte become file parts
// (labelled application/octet-stream, as the OpenAI SDK labels them).
func form(t testing.TB, fields ...any) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		name := fields[i].(string)
		switch v := fields[i+1].(type) {
		case []byte:
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="audio.bin"`, name))
			h.Set("Content-Type", "application/octet-stream")
			pw, err := w.CreatePart(h)
			if err != nil {
				t.Fatal(err)
			}
			pw.Write(v)
		case string:
			w.WriteField(name, v)
		}
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func synthesize(t testing.TB, n *servertest.Node, body map[string]any) *servertest.Response {
	t.Helper()
	res := n.Do("POST", "/v1/synthesize", n.AdminKey, body)
	if res.Status != http.StatusOK {
		t.Fatalf("synthesize %v: %d %s", body, res.Status, res.Body)
	}
	return res
}

type transcriptBody struct {
	Text       string `json:"text"`
	Language   string `json:"language"`
	DurationMs int64  `json:"durationMs"`
	Words      []struct {
		Word       string  `json:"word"`
		StartMs    int64   `json:"startMs"`
		EndMs      int64   `json:"endMs"`
		Confidence float64 `json:"confidence"`
	} `json:"words"`
}

// pcmOf decodes a synthesize answer of any format to PCM for checks.
func pcmOf(t testing.TB, format string, rate int, body []byte) []int16 {
	t.Helper()
	switch format {
	case "wav":
		a, err := wav.Decode(body)
		if err != nil {
			t.Fatalf("wav: %v", err)
		}
		if a.SampleRate != rate {
			t.Fatalf("wav rate %d, want %d", a.SampleRate, rate)
		}
		return a.Int16()
	case "pcm":
		pcm := make([]int16, len(body)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
		}
		return pcm
	case "mulaw":
		pcm := make([]int16, len(body))
		g711.DecodeULaw(pcm, body)
		return pcm
	case "mp3":
		pcm, got, err := mp3.Decode(body, 0)
		if err != nil || got != rate {
			t.Fatalf("mp3: rate %d, %v", got, err)
		}
		return pcm
	case "opus":
		packets, _, err := opus.ReadOggFile(body)
		if err != nil {
			t.Fatalf("ogg opus: %v", err)
		}
		dec, err := opus.NewDecoder(rate)
		if err != nil {
			t.Fatal(err)
		}
		var pcm []int16
		buf := make([]int16, 5760)
		for _, p := range packets {
			k, err := dec.Decode(buf, p)
			if err != nil {
				t.Fatalf("opus packet: %v", err)
			}
			pcm = append(pcm, buf[:k]...)
		}
		return pcm
	}
	t.Fatalf("no decoder for %s", format)
	return nil
}

func TestSynthesizeFormats(t *testing.T) {
	n := servertest.Start(t, nil)
	text := "Your appointment is confirmed for Tuesday at three."
	for _, tc := range []struct {
		format, contentType string
		rate, wantRate      int
	}{
		{"wav", "audio/wav", 0, 24000},
		{"wav", "audio/wav", 16000, 16000},
		{"pcm", "audio/pcm", 0, 24000},
		{"pcm", "audio/pcm", 44100, 44100},
		{"mulaw", "audio/basic", 0, 8000},
		{"mp3", "audio/mpeg", 22050, 22050},
		{"mp3", "audio/mpeg", 0, 24000},
		{"opus", "audio/ogg", 48000, 48000},
	} {
		t.Run(fmt.Sprintf("%s@%d", tc.format, tc.rate), func(t *testing.T) {
			body := map[string]any{"text": text, "voiceId": "flite-kal16", "format": tc.format}
			if tc.rate != 0 {
				body["sampleRate"] = tc.rate
			}
			req, _ := json.Marshal(body)
			res := rawDo(t, n, "POST", "/v1/synthesize", n.AdminKey, "application/json", bytes.NewReader(req))
			if res.Status != http.StatusOK {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			if got := res.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := res.Header.Get("X-Audio-Sample-Rate"); got != fmt.Sprint(tc.wantRate) {
				t.Errorf("X-Audio-Sample-Rate %q, want %d", got, tc.wantRate)
			}
			if res.Header.Get("X-Test-Transfer-Encoding") != "chunked" {
				t.Errorf("not streamed with chunked encoding (Content-Length %q)", res.Header.Get("Content-Length"))
			}
			if tc.format == "wav" && binary.LittleEndian.Uint32(res.Body[40:44]) != 0xFFFFFFFF {
				t.Errorf("streamed WAV data size is %#x, want the unknown-length marker", binary.LittleEndian.Uint32(res.Body[40:44]))
			}
			pcm := pcmOf(t, tc.format, tc.wantRate, res.Body)
			// The sentence takes about 2.5 s; the audio's length must match
			// its rate, whatever the format.
			if d := float64(len(pcm)) / float64(tc.wantRate); d < 1.5 || d > 5 {
				t.Errorf("%.2f s of audio at %d Hz", d, tc.wantRate)
			}
			if rms(pcm) < 300 {
				t.Errorf("audio is near silent (RMS %.0f)", rms(pcm))
			}
		})
	}
}

func rms(pcm []int16) float64 {
	var e float64
	for _, s := range pcm {
		e += float64(s) * float64(s)
	}
	return math.Sqrt(e / float64(max(1, len(pcm))))
}

// TestSpeechRoundTrip synthesizes ten call-center sentences (every format
// at least twice) and transcribes them back, at 16 kHz and as 8 kHz μ-law,
// with the generic model and with the sentences as domain phrases.
func TestSpeechRoundTrip(t *testing.T) {
	n := servertest.Start(t, nil)
	formats := []string{"wav", "mp3", "opus", "pcm", "wav"}
	voices := []string{"flite-slt", "flite-kal16", "flite-rms", "flite-awb"}
	phrases, _ := json.Marshal(callCenter)
	type scores struct{ generic, domain float64 }
	var wide, narrow scores
	t.Logf("%-48s %-6s %-12s %8s %8s %8s %8s", "sentence", "format", "voice", "16k gen", "16k dom", "8k gen", "8k dom")
	for i, text := range callCenter {
		format, v := formats[i%len(formats)], voices[i%len(voices)]
		res := synthesize(t, n, map[string]any{"text": text, "voiceId": v, "format": format, "sampleRate": 16000})
		mu := synthesize(t, n, map[string]any{"text": text, "voiceId": v, "format": "mulaw"})
		var row [4]float64
		for k, run := range []struct {
			audio   []byte
			query   string
			ct      string
			phrases bool
		}{
			{res.Body, pcmQuery(format), "", false},
			{res.Body, pcmQuery(format), "", true},
			{mu.Body, "", "audio/basic", false},
			{mu.Body, "", "audio/basic", true},
		} {
			var tr transcriptBody
			if run.ct != "" {
				// A raw body, named by its content type.
				path := "/v1/transcribe"
				if run.phrases {
					path += "?phrases=" + urlEscape(string(phrases))
				}
				r := rawDo(t, n, "POST", path, n.AdminKey, run.ct, bytes.NewReader(run.audio))
				if r.Status != http.StatusOK {
					t.Fatalf("transcribe μ-law: %d %s", r.Status, r.Body)
				}
				r.JSON(t, &tr)
			} else {
				fields := []any{"file", run.audio}
				if run.phrases {
					fields = append(fields, "phrases", string(phrases))
				}
				ct, body := form(t, fields...)
				r := rawDo(t, n, "POST", "/v1/transcribe"+run.query, n.AdminKey, ct, bytes.NewReader(body))
				if r.Status != http.StatusOK {
					t.Fatalf("transcribe %s: %d %s", format, r.Status, r.Body)
				}
				r.JSON(t, &tr)
			}
			row[k] = stt.WER(text, tr.Text)
			if k == 1 && len(tr.Words) > 0 {
				last := tr.Words[len(tr.Words)-1]
				if last.EndMs > tr.DurationMs || tr.Words[0].StartMs < 0 || last.EndMs <= tr.Words[0].StartMs {
					t.Errorf("word times outside the audio: %+v (duration %d ms)", tr.Words, tr.DurationMs)
				}
			}
		}
		wide.generic += row[0] / float64(len(callCenter))
		wide.domain += row[1] / float64(len(callCenter))
		narrow.generic += row[2] / float64(len(callCenter))
		narrow.domain += row[3] / float64(len(callCenter))
		t.Logf("%-48s %-6s %-12s %7.0f%% %7.0f%% %7.0f%% %7.0f%%", text, format, v, 100*row[0], 100*row[1], 100*row[2], 100*row[3])
	}
	t.Logf("%-48s %-6s %-12s %7.1f%% %7.1f%% %7.1f%% %7.1f%%", "mean WER", "", "", 100*wide.generic, 100*wide.domain, 100*narrow.generic, 100*narrow.domain)
	// Floors: with the sentences as domain phrases recognition is nearly
	// perfect at both rates; the generic model over flite's synthetic
	// speech gets most words at 16 kHz and fewer through 8 kHz μ-law.
	const maxDomain, maxGeneric16k, maxGeneric8k = 0.15, 0.50, 0.75
	if wide.domain > maxDomain || narrow.domain > maxDomain {
		t.Errorf("domain-model WER %.1f%% (16 kHz) / %.1f%% (8 kHz μ-law), want ≤ %.0f%%", 100*wide.domain, 100*narrow.domain, 100*maxDomain)
	}
	if wide.generic > maxGeneric16k {
		t.Errorf("generic-model WER at 16 kHz %.1f%%, want ≤ %.0f%%", 100*wide.generic, 100*maxGeneric16k)
	}
	if narrow.generic > maxGeneric8k {
		t.Errorf("generic-model WER through 8 kHz μ-law %.1f%%, want ≤ %.0f%%", 100*narrow.generic, 100*maxGeneric8k)
	}
	if wide.domain >= wide.generic || narrow.domain >= narrow.generic {
		t.Errorf("the domain model (%.1f%% / %.1f%%) is no better than the generic one (%.1f%% / %.1f%%)",
			100*wide.domain, 100*narrow.domain, 100*wide.generic, 100*narrow.generic)
	}
}

func pcmQuery(format string) string {
	if format == "pcm" {
		return "?encoding=pcm16&sampleRate=16000"
	}
	return ""
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func TestSpeechBadInput(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	wavBody := synthesize(t, n, map[string]any{"text": "hello there", "format": "wav", "sampleRate": 16000}).Body
	ct, okForm := form(t, "file", wavBody)
	corrupt := append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), bytes.Repeat([]byte{7}, 40)...)
	ctCorrupt, corruptForm := form(t, "file", corrupt)
	ctNoise, noiseForm := form(t, "file", bytes.Repeat([]byte("not audio "), 100))
	ctTrunc, full := form(t, "file", wavBody, "language", "en")
	truncated := full[:len(full)/2]
	ctMP3, badMP3 := form(t, "file", append([]byte{0xFF, 0xFB, 0x90, 0x64}, bytes.Repeat([]byte{0x55}, 500)...))

	for _, tc := range []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		field       string
	}{
		{"empty text", "POST", "/v1/synthesize", "application/json", []byte(`{"text":""}`), 400, "text"},
		{"whitespace text", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"   "}`), 400, "text"},
		{"100 kB text", "POST", "/v1/synthesize", "application/json", mustJSON(map[string]any{"text": strings.Repeat("hello ", 17000)}), 400, "text"},
		{"unknown voice", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","voiceId":"flite-nobody"}`), 400, "voiceId"},
		{"unknown custom voice", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","voiceId":"voice_00000000000000000000000000"}`), 400, "voiceId"},
		{"bad format", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","format":"aiff"}`), 400, "format"},
		{"bad rate", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","sampleRate":11025}`), 400, "sampleRate"},
		{"mulaw not 8k", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","format":"mulaw","sampleRate":16000}`), 400, "sampleRate"},
		{"speed out of range", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","speed":9}`), 400, "speed"},
		{"unknown field", "POST", "/v1/synthesize", "application/json", []byte(`{"text":"hi","volume":3}`), 400, "volume"},
		{"corrupt wav", "POST", "/v1/transcribe", ctCorrupt, corruptForm, 400, "file"},
		{"corrupt mp3", "POST", "/v1/transcribe", ctMP3, badMP3, 400, "file"},
		{"not audio", "POST", "/v1/transcribe", ctNoise, noiseForm, 400, "file"},
		{"raw without encoding", "POST", "/v1/transcribe", "application/octet-stream", bytes.Repeat([]byte{1, 2}, 800), 400, "file"},
		{"wrong content type", "POST", "/v1/transcribe", "application/json", []byte(`{"file":"x"}`), 400, "Content-Type"},
		{"truncated multipart", "POST", "/v1/transcribe", ctTrunc, truncated, 400, "body"},
		{"missing file", "POST", "/v1/transcribe", ctNoise, mustForm(t, ctNoise, "language", "en"), 400, "file"},
		{"odd pcm16", "POST", "/v1/transcribe?encoding=pcm16&sampleRate=16000", "application/octet-stream", []byte{1, 2, 3}, 400, "file"},
		{"bad encoding", "POST", "/v1/transcribe?encoding=gsm", "application/octet-stream", []byte{1, 2}, 400, "encoding"},
		{"bad language", "POST", "/v1/transcribe?language=fr", "audio/wav", wavBody, 400, "language"},
		{"async corrupt", "POST", "/v1/transcribe/async", ctCorrupt, corruptForm, 400, "file"},
		{"clone without sample", "POST", "/v1/voices/clone", ctNoise, mustForm(t, ctNoise, "name", "x"), 400, "file"},
		{"clone silence", "POST", "/v1/voices/clone", ctNoise, mustForm(t, ctNoise, "name", "x", "file", mustWAV(t, make([]int16, 32000))), 400, "file"},
		{"delete built-in voice", "DELETE", "/v1/voices/flite-slt", "", nil, 400, "id"},
		{"unknown job", "GET", "/v1/transcribe/job_00000000000000000000000000", "", nil, 404, ""},
		{"unknown voice id", "GET", "/v1/voices/voice_00000000000000000000000000", "", nil, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			res := rawDo(t, n, tc.method, tc.path, key, tc.contentType, body)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			e := res.Err(t)
			if tc.field != "" {
				found := false
				for _, d := range e.Details {
					found = found || d.Field == tc.field
				}
				if !found {
					t.Fatalf("no detail for %q: %s", tc.field, res.Body)
				}
			}
			// The server keeps serving: a good request right after works.
			ok := rawDo(t, n, "POST", "/v1/transcribe", key, ct, bytes.NewReader(okForm))
			if ok.Status != http.StatusOK {
				t.Fatalf("follow-up transcription: %d %s", ok.Status, ok.Body)
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// mustForm builds a form whose boundary matches contentType's.
func mustForm(t testing.TB, contentType string, fields ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_, boundary, _ := strings.Cut(contentType, "boundary=")
	if err := w.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		switch v := fields[i+1].(type) {
		case []byte:
			fw, _ := w.CreateFormFile(fields[i].(string), "sample.wav")
			fw.Write(v)
		case string:
			w.WriteField(fields[i].(string), v)
		}
	}
	w.Close()
	return b.Bytes()
}

func mustWAV(t testing.TB, pcm []int16) []byte {
	b, err := wav.EncodePCM16(pcm, 16000, 1)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type jobBody struct {
	ID     string          `json:"id"`
	Status string          `json:"status"`
	Result *transcriptBody `json:"result"`
	Error  *struct {
		Code string `json:"code"`
	} `json:"error"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// TestTranscribeAsyncSurvivesRestart submits more jobs than run at once,
// restarts the node while some are unfinished, and checks that every job
// completes afterwards with the right transcript.
func TestTranscribeAsyncSurvivesRestart(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	// About 20 s of speech per job, so the node stops while jobs are queued.
	text := strings.Repeat(callCenter[0]+". ", 8)
	audio := synthesize(t, n, map[string]any{"text": text, "voiceId": "flite-kal16", "format": "wav", "sampleRate": 16000}).Body
	phrases, _ := json.Marshal(callCenter[:1])
	var ids []string
	for range 6 {
		ct, body := form(t, "file", audio, "phrases", string(phrases))
		res := rawDo(t, n, "POST", "/v1/transcribe/async", key, ct, bytes.NewReader(body))
		if res.Status != http.StatusAccepted {
			t.Fatalf("submit: %d %s", res.Status, res.Body)
		}
		var j jobBody
		res.JSON(t, &j)
		if !strings.HasPrefix(j.ID, "job_") || j.Status != "queued" || j.Result != nil || res.Header.Get("Location") != "/v1/transcribe/"+j.ID {
			t.Fatalf("submitted: %s (Location %q)", res.Body, res.Header.Get("Location"))
		}
		ids = append(ids, j.ID)
	}
	unfinished := 0
	for _, id := range ids {
		var j jobBody
		n.Do("GET", "/v1/transcribe/"+id, key, nil).JSON(t, &j)
		if j.Status == "queued" || j.Status == "running" {
			unfinished++
		}
	}
	if unfinished == 0 {
		t.Fatal("every job finished before the restart; the test proves nothing")
	}
	n.Restart()
	t.Logf("%d of %d jobs were unfinished at the restart", unfinished, len(ids))
	for _, id := range ids {
		var j jobBody
		deadline := time.Now().Add(5 * time.Minute)
		for {
			res := n.Do("GET", "/v1/transcribe/"+id, key, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("get job: %d %s", res.Status, res.Body)
			}
			j = jobBody{}
			res.JSON(t, &j)
			if j.Status == "completed" || j.Status == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s still %s after the restart", id, j.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if j.Status != "completed" || j.Result == nil {
			t.Fatalf("job %s: %+v", id, j)
		}
		if w := stt.WER(text, j.Result.Text); w > 0.1 {
			t.Errorf("job %s transcript WER %.0f%%: %q", id, 100*w, j.Result.Text)
		}
	}
	// Another organization cannot see the jobs.
	other := n.CreateOrg("Other")
	if res := n.Do("GET", "/v1/transcribe/"+ids[0], other, nil); res.Status != http.StatusNotFound {
		t.Fatalf("another org reads a job: %d", res.Status)
	}
}

func semitones(f, ref float64) float64 { return 12 * math.Log2(f/ref) }

func f0Of(t testing.TB, pcm []int16, rate int) float64 {
	t.Helper()
	a, err := voice.Analyze(pcm, rate)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	return a.F0
}

// TestVoiceCloneFitsPitch clones a voice from a sample whose pitch no
// built-in voice has, and checks that speech in the custom voice has the
// sample's pitch, measured on the synthesized audio.
func TestVoiceCloneFitsPitch(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	engine, err := flite.New(flite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := "Good morning, thank you for calling the clinic. How may I help you today? I can book, move or cancel an appointment."
	var sample []int16
	err = engine.Synthesize(context.Background(), tts.Request{Text: text, VoiceID: "flite-kal16", Pitch: 8}, func(c tts.Chunk) error {
		sample = append(sample, c.PCM...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The sample goes up as a 24 kHz MP3, so cloning also decodes MP3.
	up, err := resample.Convert(sample, 16000, 24000)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := mp3.NewEncoder(24000, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, mp3.MaxOut(len(up)))
	k, err := enc.Encode(buf, up)
	if err != nil {
		t.Fatal(err)
	}
	mp3Sample := append([]byte(nil), buf[:k]...)
	k, _ = enc.Flush(buf)
	mp3Sample = append(mp3Sample, buf[:k]...)
	enc.Close()
	sampleF0 := f0Of(t, sample, 16000)

	ct, body := form(t, "name", "Clinic desk", "file", mp3Sample)
	res := rawDo(t, n, "POST", "/v1/voices/clone", key, ct, bytes.NewReader(body))
	if res.Status != http.StatusCreated {
		t.Fatalf("clone: %d %s", res.Status, res.Body)
	}
	var v struct {
		ID, Name, Provider, BaseVoice, Method, Note string
		Pitch, Speed                                float64
		Custom                                      bool
	}
	res.JSON(t, &v)
	t.Logf("sample f0 %.0f Hz → %s", sampleF0, res.Body)
	if !strings.HasPrefix(v.ID, "voice_") || !v.Custom || v.Method != "fitted" || !strings.HasPrefix(v.Note, "fitted:") ||
		v.Provider != "local" || v.Name != "Clinic desk" || v.Speed < 0.5 || v.Speed > 2 {
		t.Fatalf("clone answer: %s", res.Body)
	}
	// kal16 raised 8 semitones falls between the male voices and slt, so
	// the fitted voice must shift its base noticeably.
	if math.Abs(v.Pitch) < 1.5 {
		t.Fatalf("fitted pitch offset %.2f: the sample is too close to a built-in voice to test the shift", v.Pitch)
	}

	speak := func(voiceID string) []int16 {
		r := synthesize(t, n, map[string]any{"text": text, "voiceId": voiceID, "format": "wav", "sampleRate": 16000})
		return pcmOf(t, "wav", 16000, r.Body)
	}
	baseF0 := f0Of(t, speak(v.BaseVoice), 16000)
	customF0 := f0Of(t, speak(v.ID), 16000)
	t.Logf("base %s f0 %.0f Hz, custom voice f0 %.0f Hz, sample f0 %.0f Hz", v.BaseVoice, baseF0, customF0, sampleF0)
	if d := semitones(customF0, sampleF0); math.Abs(d) > 1 {
		t.Errorf("custom voice is %.2f semitones from the sample, want within 1", d)
	}
	if d := semitones(customF0, baseF0); math.Abs(d-v.Pitch) > 1 {
		t.Errorf("custom voice is %.2f semitones from its base, but its pitch says %.2f", d, v.Pitch)
	}

	// The voice is listed, readable, deletable, and then gone.
	var page listBody[struct {
		ID     string `json:"id"`
		Custom bool   `json:"custom"`
	}]
	n.Do("GET", "/v1/voices?limit=100", key, nil).JSON(t, &page)
	found, builtins := false, 0
	for _, it := range page.Data {
		found = found || it.ID == v.ID
		if !it.Custom && strings.HasPrefix(it.ID, "flite-") {
			builtins++
		}
	}
	if !found || builtins != 4 {
		t.Fatalf("list: %+v", page)
	}
	if r := n.Do("GET", "/v1/voices/"+v.ID, key, nil); r.Status != http.StatusOK {
		t.Fatalf("get: %d", r.Status)
	}
	other := n.CreateOrg("Other")
	if r := n.Do("GET", "/v1/voices/"+v.ID, other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another org reads the voice: %d", r.Status)
	}
	if r := n.Do("DELETE", "/v1/voices/"+v.ID, key, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := n.Do("GET", "/v1/voices/"+v.ID, key, nil); r.Status != http.StatusNotFound {
		t.Fatalf("get after delete: %d", r.Status)
	}
}

// TestVoicesPaging walks the voice list one item at a time: built-in voices
// first, then custom ones, each once.
func TestVoicesPaging(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	// Two custom voices, cloned from built-in speech.
	audio := synthesize(t, n, map[string]any{"text": callCenter[0] + ". " + callCenter[1], "voiceId": "flite-awb", "format": "wav", "sampleRate": 16000}).Body
	var custom []string
	for i := range 2 {
		ct, body := form(t, "name", fmt.Sprint("v", i), "file", audio)
		res := rawDo(t, n, "POST", "/v1/voices/clone", key, ct, bytes.NewReader(body))
		if res.Status != http.StatusCreated {
			t.Fatalf("clone: %d %s", res.Status, res.Body)
		}
		var v struct{ ID string }
		res.JSON(t, &v)
		custom = append(custom, v.ID)
	}
	// The expected order: built-in voices by ID, then custom ones.
	var all listBody[struct {
		ID     string `json:"id"`
		Custom bool   `json:"custom"`
	}]
	n.Do("GET", "/v1/voices?limit=100", key, nil).JSON(t, &all)
	var want []string
	for _, v := range all.Data {
		if !v.Custom {
			want = append(want, v.ID)
		}
	}
	if !slices.IsSorted(want) || !slices.Contains(want, "flite-slt") {
		t.Fatalf("built-in voices %v, want them sorted and flite-slt among them", want)
	}
	want = append(want, custom...)
	var seen []string
	cursor := ""
	for {
		var page listBody[struct{ ID string }]
		path := "/v1/voices?limit=1"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := n.Do("GET", path, key, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		res.JSON(t, &page)
		for _, v := range page.Data {
			seen = append(seen, v.ID)
		}
		if !page.HasMore {
			break
		}
		cursor = *page.NextCursor
		if len(seen) > len(want) {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("paged %v, want %v", seen, want)
	}
}

// BenchmarkSynthesizeTTFB measures, per voice, the time from sending
// POST /v1/synthesize to the first byte of audio, through the real server.
func BenchmarkSynthesizeTTFB(b *testing.B) {
	n := servertest.Start(b, nil)
	for _, v := range []string{"flite-kal16", "flite-slt", "flite-rms", "flite-awb"} {
		b.Run(v, func(b *testing.B) {
			req := mustJSON(map[string]any{"text": "Thank you for calling. How can I help you today?", "voiceId": v, "format": "pcm", "sampleRate": 16000})
			var ttfb, total time.Duration
			one := make([]byte, 1)
			for b.Loop() {
				r, err := http.NewRequest("POST", n.URL+"/v1/synthesize", bytes.NewReader(req))
				if err != nil {
					b.Fatal(err)
				}
				r.Header.Set("Authorization", "Bearer "+n.AdminKey)
				r.Header.Set("Content-Type", "application/json")
				start := time.Now()
				res, err := n.Client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(res.Body, one); err != nil || res.StatusCode != 200 {
					b.Fatalf("%d %v", res.StatusCode, err)
				}
				ttfb += time.Since(start)
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				total += time.Since(start)
			}
			b.ReportMetric(float64(ttfb.Microseconds())/1000/float64(b.N), "ttfb-ms")
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "total-ms")
		})
	}
}

// benchAudio is a call-center sentence synthesized at 16 kHz.
func benchAudio(b *testing.B) []int16 {
	b.Helper()
	engine, err := flite.New(flite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var pcm []int16
	err = engine.Synthesize(context.Background(), tts.Request{Text: callCenter[1], VoiceID: "flite-kal16"}, func(c tts.Chunk) error {
		pcm = append(pcm, c.PCM...)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return pcm
}

// decodeOnce feeds pcm in 20 ms frames and finalizes, returning how long
// Finalize took (the final-result latency after the last frame).
func decodeOnce(b *testing.B, rec stt.Streamer, cfg stt.Config, pcm []int16) (time.Duration, string) {
	s, err := rec.NewStream(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < len(pcm); i += 320 {
		if err := s.Write(pcm[i:min(i+320, len(pcm))]); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	res, err := s.Finalize()
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start), res.Text
}

// BenchmarkSTT measures the embedded recognizer's real-time factor and
// final-result latency with the generic model and with a domain model.
func BenchmarkSTT(b *testing.B) {
	set, err := engines.Open(engines.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	rec, _ := set.Recognizer("local")
	pcm := benchAudio(b)
	audio := time.Duration(len(pcm)) * time.Second / 16000
	for _, tc := range []struct {
		name    string
		phrases []string
	}{{"generic", nil}, {"domain", callCenter}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := stt.Config{SampleRate: 16000, Phrases: tc.phrases}
			decodeOnce(b, rec, cfg, pcm) // builds and caches the domain model
			var final time.Duration
			var wer float64
			start := time.Now()
			for b.Loop() {
				f, text := decodeOnce(b, rec, cfg, pcm)
				final += f
				wer += stt.WER(callCenter[1], text)
			}
			elapsed := time.Since(start)
			b.ReportMetric(elapsed.Seconds()/(audio.Seconds()*float64(b.N)), "rtf")
			b.ReportMetric(float64(final.Microseconds())/1000/float64(b.N), "final-ms")
			b.ReportMetric(100*wer/float64(b.N), "wer-%")
		})
	}
}

// BenchmarkConcurrentTranscription runs two streams per core at once and
// reports how many real-time streams one core sustains.
func BenchmarkConcurrentTranscription(b *testing.B) {
	set, err := engines.Open(engines.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	rec, _ := set.Recognizer("local")
	pcm := benchAudio(b)
	audio := time.Duration(len(pcm)) * time.Second / 16000
	cores := runtime.GOMAXPROCS(0)
	streams := 2 * cores
	round := func() {
		var wg sync.WaitGroup
		for range streams {
			wg.Go(func() { decodeOnce(b, rec, stt.Config{SampleRate: 16000}, pcm) })
		}
		wg.Wait()
	}
	round() // creates the decoders, so the loop measures decoding only
	start := time.Now()
	for b.Loop() {
		round()
	}
	elapsed := time.Since(start)
	realtime := audio.Seconds() * float64(streams*b.N) / elapsed.Seconds()
	b.ReportMetric(realtime/float64(cores), "streams/core")
}
