package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/server/servertest"
)

type openaiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func (e openaiError) param() string {
	if e.Error.Param == nil {
		return ""
	}
	return *e.Error.Param
}

func TestOpenAIErrors(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	ct, notAudio := form(t, "file", []byte("not audio at all"), "model", "whisper-1")
	for _, tc := range []struct {
		name, method, path, key, contentType string
		body                                 []byte
		status                               int
		typ, param                           string
	}{
		{"bad key", "POST", "/v1/audio/speech", "sb_live_nope", "application/json", []byte(`{"model":"tts-1","voice":"alloy","input":"hi"}`), 401, "invalid_request_error", ""},
		{"no key", "GET", "/v1/models", "", "", nil, 401, "invalid_request_error", ""},
		{"no key transcriptions", "POST", "/v1/audio/transcriptions", "", ct, notAudio, 401, "invalid_request_error", ""},
		{"aac", "POST", "/v1/audio/speech", key, "application/json", []byte(`{"model":"tts-1","voice":"alloy","input":"hi","response_format":"aac"}`), 400, "invalid_request_error", "response_format"},
		{"unknown voice", "POST", "/v1/audio/speech", key, "application/json", []byte(`{"model":"tts-1","voice":"nobody","input":"hi"}`), 400, "invalid_request_error", "voice"},
		{"empty input", "POST", "/v1/audio/speech", key, "application/json", []byte(`{"model":"tts-1","voice":"alloy","input":""}`), 400, "invalid_request_error", "input"},
		{"speed", "POST", "/v1/audio/speech", key, "application/json", []byte(`{"model":"tts-1","voice":"alloy","input":"hi","speed":5}`), 400, "invalid_request_error", "speed"},
		{"unknown field", "POST", "/v1/audio/speech", key, "application/json", []byte(`{"model":"tts-1","voice":"alloy","input":"hi","volume":1}`), 400, "invalid_request_error", "volume"},
		{"not audio", "POST", "/v1/audio/transcriptions", key, ct, notAudio, 400, "invalid_request_error", "file"},
		{"not multipart", "POST", "/v1/audio/transcriptions", key, "audio/wav", []byte("RIFF"), 400, "invalid_request_error", "Content-Type"},
		{"bad response_format", "POST", "/v1/audio/transcriptions", key, ct, mustForm(t, ct, "model", "whisper-1", "file", mustWAV(t, make([]int16, 1600)), "response_format", "xml"), 400, "invalid_request_error", "response_format"},
		{"truncated", "POST", "/v1/audio/transcriptions", key, ct, notAudio[:len(notAudio)/2], 400, "invalid_request_error", "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			res := rawDo(t, n, tc.method, tc.path, tc.key, tc.contentType, body)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			var e openaiError
			res.JSON(t, &e)
			if e.Error.Message == "" || e.Error.Type != tc.typ || e.param() != tc.param || e.Error.Code == nil {
				t.Fatalf("error body %s, want type %s param %q", res.Body, tc.typ, tc.param)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
		})
	}
	// The API's own routes keep the API's shape.
	res := n.Do("GET", "/v1/voices", "sb_live_nope", nil)
	if e := res.Err(t); res.Status != 401 || e.Code != "UNAUTHORIZED" {
		t.Fatalf("own route: %d %s", res.Status, res.Body)
	}
}

// chunkedForm sends a multipart body through a pipe, so the client must
// use chunked encoding with no Content-Length, as the SDK does for streams.
func chunkedForm(t *testing.T, n *servertest.Node, path string, fields ...any) *http.Response {
	t.Helper()
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	go func() {
		for i := 0; i+1 < len(fields); i += 2 {
			switch v := fields[i+1].(type) {
			case []byte:
				fw, _ := w.CreateFormFile(fields[i].(string), "speech.wav")
				fw.Write(v)
			case string:
				w.WriteField(fields[i].(string), v)
			}
		}
		pw.CloseWithError(w.Close())
	}()
	req, err := http.NewRequest("POST", n.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+n.AdminKey)
	res, err := n.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentLength != -1 && req.ContentLength != 0 {
		t.Fatalf("request was sent with a Content-Length")
	}
	return res
}

func TestOpenAITranscriptionFormats(t *testing.T) {
	n := servertest.Start(t, nil)
	text := callCenter[1] + ". " + callCenter[3]
	audio := speechWithPauses(t, n, callCenter[1], callCenter[3])
	for _, tc := range []struct {
		format, contentType string
		check               func(t *testing.T, body []byte)
	}{
		{"json", "application/json", func(t *testing.T, body []byte) {
			var v struct{ Text string }
			if err := json.Unmarshal(body, &v); err != nil || stt.WER(text, v.Text) > 0.15 {
				t.Fatalf("json: %s (%v)", body, err)
			}
		}},
		{"text", "text/plain; charset=utf-8", func(t *testing.T, body []byte) {
			if stt.WER(text, string(body)) > 0.15 {
				t.Fatalf("text: %q", body)
			}
		}},
		{"verbose_json", "application/json", func(t *testing.T, body []byte) {
			var v struct {
				Task, Language, Text string
				Duration             float64
				Words                []struct {
					Word       string
					Start, End float64
				}
				Segments []struct {
					ID         int
					Start, End float64
					Text       string
				}
			}
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			if v.Task != "transcribe" || v.Duration < 3 || len(v.Words) < 10 || len(v.Segments) < 1 {
				t.Fatalf("verbose_json: %s", body)
			}
			for i, w := range v.Words {
				if w.End <= w.Start || w.End > v.Duration || i > 0 && w.Start < v.Words[i-1].Start {
					t.Fatalf("word %d times: %+v", i, w)
				}
			}
		}},
		{"srt", "text/plain; charset=utf-8", func(t *testing.T, body []byte) {
			if !strings.HasPrefix(string(body), "1\n00:00:0") || !strings.Contains(string(body), " --> ") {
				t.Fatalf("srt: %q", body)
			}
		}},
		{"vtt", "text/plain; charset=utf-8", func(t *testing.T, body []byte) {
			if !strings.HasPrefix(string(body), "WEBVTT\n\n00:00:0") {
				t.Fatalf("vtt: %q", body)
			}
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			res := chunkedForm(t, n, "/v1/audio/transcriptions", "file", audio, "model", "whisper-1", "prompt", text,
				"response_format", tc.format, "timestamp_granularities[]", "word", "timestamp_granularities[]", "segment")
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			tc.check(t, body)
		})
	}
	t.Run("stream", func(t *testing.T) {
		res := chunkedForm(t, n, "/v1/audio/transcriptions", "file", audio, "model", "whisper-1", "prompt", text, "stream", "true")
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var deltas, done string
		events := 0
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev struct{ Type, Delta, Text string }
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %q: %v", data, err)
			}
			switch ev.Type {
			case "transcript.text.delta":
				if done != "" {
					t.Fatal("delta after done")
				}
				deltas += ev.Delta
				events++
			case "transcript.text.done":
				done = ev.Text
			default:
				t.Fatalf("unexpected event %s", data)
			}
		}
		if events < 2 || done == "" || deltas != done || stt.WER(text, done) > 0.15 {
			t.Fatalf("%d deltas %q, done %q", events, deltas, done)
		}
	})
}

// speechWithPauses synthesizes each sentence and joins them with a second
// of silence, a pause no voice activity detector can miss, as a 16 kHz WAV.
func speechWithPauses(t *testing.T, n *servertest.Node, sentences ...string) []byte {
	t.Helper()
	var pcm []int16
	for i, s := range sentences {
		if i > 0 {
			pcm = append(pcm, make([]int16, 16000)...)
		}
		res := synthesize(t, n, map[string]any{"text": s, "voiceId": "flite-slt", "format": "pcm", "sampleRate": 16000})
		pcm = append(pcm, pcmOf(t, "pcm", 16000, res.Body)...)
	}
	return mustWAV(t, pcm)
}

func TestOpenAIModels(t *testing.T) {
	n := servertest.Start(t, nil)
	for _, path := range []string{"/v1/models", "/v1/audio/models"} {
		var list struct {
			Object string
			Data   []struct {
				ID, Object, OwnedBy string
				Created             int64
			}
		}
		res := n.Do("GET", path, n.AdminKey, nil)
		res.JSON(t, &list)
		if res.Status != 200 || list.Object != "list" || len(list.Data) == 0 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		for _, m := range list.Data {
			if m.ID == "" || m.Object != "model" || m.Created == 0 {
				t.Fatalf("%s: model %+v", path, m)
			}
		}
	}
}

// TestOpenAISDK runs the official openai npm SDK against the node.
func TestOpenAISDK(t *testing.T) {
	script, err := filepath.Abs("../tools/node/openai-sdk-test.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "openai", "package.json")); err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_TOOLS") != "" {
			t.Fatalf("the openai SDK is not installed (run make node-deps): %v", err)
		}
		t.Skip("the openai SDK is not installed; run make node-deps")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_TOOLS") != "" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed")
	}
	n := servertest.Start(t, nil)
	text := callCenter[1] + ". " + callCenter[7]
	audio := synthesize(t, n, map[string]any{"text": text, "voiceId": "flite-kal16", "format": "wav", "sampleRate": 16000}).Body
	sample := filepath.Join(t.TempDir(), "sample.wav")
	if err := os.WriteFile(sample, audio, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_URL="+n.URL, "SWITCHBOARD_KEY="+n.AdminKey, "SAMPLE_WAV="+sample, "SAMPLE_TEXT="+text)
	out, err := cmd.CombinedOutput()
	t.Logf("openai SDK:\n%s", out)
	if err != nil {
		t.Fatalf("the SDK run failed: %v", err)
	}
}
