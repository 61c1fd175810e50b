package rest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/resource"
)

// The OpenAI-compatible audio API (shared/reference/openai-audio-api.md):
// the official SDKs work against it by changing only their base URL.
func openaiRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/audio/speech", Summary: "Create speech (OpenAI-compatible)", Tag: "OpenAI", OpenAIErrors: true,
			Request: "OpenAISpeechInput", Doc: docOpenAI(docAudioResponse("Audio in response_format, streamed with chunked encoding.")),
			Handle: (*Server).openaiSpeech},
		{Method: "POST", Path: "/v1/audio/transcriptions", Summary: "Create transcription (OpenAI-compatible)", Tag: "OpenAI", OpenAIErrors: true,
			Doc: docOpenAI(docOpenAITranscription), Handle: (*Server).openaiTranscription},
		{Method: "GET", Path: "/v1/audio/models", Summary: "List audio models (OpenAI-compatible)", Tag: "OpenAI", OpenAIErrors: true,
			Responses: map[int]string{200: "OpenAIModelList"}, Doc: docOpenAI(nil), Handle: (*Server).openaiModels},
		{Method: "GET", Path: "/v1/models", Summary: "List models (OpenAI-compatible)", Tag: "OpenAI", OpenAIErrors: true,
			Responses: map[int]string{200: "OpenAIModelList"}, Doc: docOpenAI(nil), Handle: (*Server).openaiModels},
	}
}

// openaiErrorBody is OpenAI's error shape.
type openaiErrorBody struct {
	Error openaiError `json:"error"`
}

type openaiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// writeOpenAIError renders a Problem in OpenAI's shape, with the same
// status the API's own shape would have.
func writeOpenAIError(ctx *fasthttp.RequestCtx, p *resource.Problem) {
	status := p.Status
	if status == 0 {
		status = statusOf[p.Code]
	}
	if status == 0 {
		status = fasthttp.StatusInternalServerError
	}
	e := openaiError{Message: p.Message}
	code := strings.ToLower(string(p.Code))
	switch p.Code {
	case resource.CodeValidation, resource.CodeNotFound:
		e.Type = "invalid_request_error"
	case resource.CodeUnauthorized:
		e.Type, code = "invalid_request_error", "invalid_api_key"
	case resource.CodeRateLimited:
		e.Type, code = "rate_limit_error", "rate_limit_exceeded"
	default:
		e.Type = "server_error"
	}
	e.Code = &code
	if len(p.Details) > 0 {
		param := p.Details[0].Field
		e.Param = &param
	}
	writeJSON(ctx, status, openaiErrorBody{Error: e})
}

// openaiVoices maps OpenAI's voice names onto the embedded voices: the
// female-sounding ones onto slt, the deeper ones onto kal16 and rms, the
// rest onto awb.
var openaiVoices = map[string]string{
	"alloy": "flite-slt", "coral": "flite-slt", "nova": "flite-slt", "sage": "flite-slt",
	"shimmer": "flite-slt", "marin": "flite-slt",
	"onyx": "flite-kal16", "verse": "flite-kal16",
	"echo": "flite-rms", "ash": "flite-rms", "cedar": "flite-rms",
	"fable": "flite-awb", "ballad": "flite-awb",
}

// openaiSpeechInput is the body of POST /v1/audio/speech.
type openaiSpeechInput struct {
	Model          string          `json:"model"`
	Input          string          `json:"input"`
	Voice          json.RawMessage `json:"voice"`
	ResponseFormat string          `json:"response_format"`
	Speed          *float64        `json:"speed"`
	Instructions   string          `json:"instructions"`
	StreamFormat   string          `json:"stream_format"`
}

// decodeStrict decodes a JSON object with no unknown fields, naming the
// offending field in the Problem.
func decodeStrict(body []byte, dst any) *resource.Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		msg := err.Error()
		field := "body"
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return resource.Invalid(resource.FieldError{Field: strings.Trim(f, `"`), Message: "is not a known field"})
		}
		var te *json.UnmarshalTypeError
		if asTypeError(err, &te) && te.Field != "" {
			return resource.Invalid(resource.FieldError{Field: te.Field, Message: "must be " + te.Type.String()})
		}
		return resource.Invalid(resource.FieldError{Field: field, Message: "must be a JSON object"})
	}
	return nil
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

func (s *Server) openaiSpeech(c *call) (int, any, error) {
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in openaiSpeechInput
	if p := decodeStrict(body, &in); p != nil {
		return 0, nil, p
	}
	var errs []resource.FieldError
	if strings.TrimSpace(in.Model) == "" {
		errs = append(errs, resource.FieldError{Field: "model", Message: "is required"})
	}
	errs = append(errs, validateText("input", in.Input)...)
	voiceID, fe := openaiVoiceID(in.Voice)
	if fe != nil {
		errs = append(errs, *fe)
	}
	format := in.ResponseFormat
	switch format {
	case "":
		format = formatMP3
	case formatMP3, formatOpus, formatWAV, formatPCM:
	case "aac", "flac":
		errs = append(errs, resource.FieldError{Field: "response_format",
			Message: format + " is not produced by this server; use mp3, opus, wav or pcm"})
	default:
		errs = append(errs, resource.FieldError{Field: "response_format", Message: "must be mp3, opus, wav or pcm"})
	}
	speed := 1.0
	if in.Speed != nil {
		speed = *in.Speed
		if !(speed >= tts.MinSpeed && speed <= tts.MaxSpeed) {
			errs = append(errs, resource.FieldError{Field: "speed", Message: "must be from 0.25 to 4.0"})
		}
	}
	if in.StreamFormat != "" && in.StreamFormat != "audio" {
		errs = append(errs, resource.FieldError{Field: "stream_format", Message: "only audio is supported"})
	}
	if len(errs) > 0 {
		return 0, nil, resource.Invalid(errs...)
	}
	v, err := s.resolveVoice(c.who.OrgID, voiceID, "voice")
	if err != nil {
		return 0, nil, err
	}
	// instructions steer a neural voice's delivery; the embedded engine has
	// no such control, so they are accepted and not applied.
	return s.startSpeech(speechRequest{
		Provider: v.Provider,
		TTS:      tts.Request{Text: in.Input, VoiceID: v.EngineVoice, Pitch: v.Pitch, Speed: clamp(v.Speed*speed, tts.MinSpeed, tts.MaxSpeed)},
		Format:   format,
		Rate:     defaultOutputRate,
	}, "voice")
}

// openaiVoiceID reads voice as a name or {"id": …}; names of OpenAI's
// voices map to embedded ones, other names must be our voice IDs.
func openaiVoiceID(raw json.RawMessage) (string, *resource.FieldError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", &resource.FieldError{Field: "voice", Message: "is required"}
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.ID == "" {
			return "", &resource.FieldError{Field: "voice", Message: `must be a voice name or {"id": …}`}
		}
		name = obj.ID
	}
	if id, ok := openaiVoices[strings.ToLower(name)]; ok {
		return id, nil
	}
	return name, nil
}

// openaiModel is one entry of the model list.
type openaiModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// openaiModelIDs are the model names the audio endpoints accept; all of
// them are served by the embedded engines.
var openaiModelIDs = []string{"gpt-4o-mini-transcribe", "gpt-4o-mini-tts", "gpt-4o-transcribe", "tts-1", "tts-1-hd", "whisper-1"}

// modelsCreated is a fixed creation time: the models are built in.
var modelsCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (s *Server) openaiModels(*call) (int, any, error) {
	list := struct {
		Object string        `json:"object"`
		Data   []openaiModel `json:"data"`
	}{Object: "list"}
	for _, id := range openaiModelIDs {
		list.Data = append(list.Data, openaiModel{ID: id, Object: "model", Created: modelsCreated, OwnedBy: "switchboard"})
	}
	return fasthttp.StatusOK, list, nil
}

func (s *Server) openaiTranscription(c *call) (int, any, error) {
	if !hasPrefixFold(c.ctx.Request.Header.ContentType(), "multipart/form-data") {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "Content-Type", Message: "must be multipart/form-data"})
	}
	req, p := readTranscribeRequest(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	field := func(name string) string {
		if v := req.Form[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var errs []resource.FieldError
	if strings.TrimSpace(field("model")) == "" {
		errs = append(errs, resource.FieldError{Field: "model", Message: "is required"})
	}
	format := field("response_format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains([]string{"json", "text", "verbose_json", "srt", "vtt"}, format) {
		errs = append(errs, resource.FieldError{Field: "response_format", Message: "must be json, text, verbose_json, srt or vtt"})
	}
	var words, segments bool
	for _, g := range append(req.Form["timestamp_granularities[]"], req.Form["timestamp_granularities"]...) {
		switch g {
		case "word":
			words = true
		case "segment":
			segments = true
		default:
			errs = append(errs, resource.FieldError{Field: "timestamp_granularities[]", Message: "must be word or segment"})
		}
	}
	if !words && !segments {
		segments = true // OpenAI's default granularity
	}
	stream := false
	if v := field("stream"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, resource.FieldError{Field: "stream", Message: "must be true or false"})
		}
		stream = b
	}
	if t := field("temperature"); t != "" {
		if f, err := strconv.ParseFloat(t, 64); err != nil || f < 0 || f > 1 {
			errs = append(errs, resource.FieldError{Field: "temperature", Message: "must be a number from 0 to 1"})
		}
	}
	if len(errs) > 0 {
		return 0, nil, resource.Invalid(errs...)
	}
	// The prompt names what the audio is about; its phrases build the
	// same domain model as /v1/transcribe's phrases.
	req.Params.Phrases = append(req.Params.Phrases, promptPhrases(field("prompt"))...)
	audio, p := decodeAudio(req.Audio, req.Params.Hint, maxAudioDuration, "file")
	if p != nil {
		return 0, nil, p
	}
	if stream {
		return fasthttp.StatusOK, &transcriptionStream{s: s, pcm: audio.PCM, params: req.Params}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), maxAudioDuration)
	defer cancel()
	t, err := s.transcribePCM(ctx, audio.PCM, req.Params, nil)
	if err != nil {
		return 0, nil, err
	}
	switch format {
	case "text":
		return fasthttp.StatusOK, textBody(t.Text + "\n"), nil
	case "srt":
		return fasthttp.StatusOK, textBody(subtitles(t, false)), nil
	case "vtt":
		return fasthttp.StatusOK, textBody(subtitles(t, true)), nil
	case "verbose_json":
		return fasthttp.StatusOK, verboseTranscription(t, words, segments), nil
	}
	return fasthttp.StatusOK, map[string]string{"text": t.Text}, nil
}

// promptPhrases splits a prompt into the phrases of a domain model.
func promptPhrases(prompt string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(prompt, func(r rune) bool { return strings.ContainsRune(".,;:!?\n", r) }) {
		if p = strings.TrimSpace(p); p != "" && len(out) < maxPhrases {
			if len(p) > maxPhraseLen {
				p = p[:maxPhraseLen]
			}
			out = append(out, p)
		}
	}
	return out
}

// textBody is served as text/plain, which is how the SDK knows not to
// parse it as JSON.
type textBody string

func (t textBody) respond(ctx *fasthttp.RequestCtx, status int) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(string(t))
}

type verboseWord struct {
	Word  string  `json:"word"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

type verboseSegment struct {
	ID               int     `json:"id"`
	Seek             int     `json:"seek"`
	Start            float64 `json:"start"`
	End              float64 `json:"end"`
	Text             string  `json:"text"`
	Tokens           []int   `json:"tokens"`
	Temperature      float64 `json:"temperature"`
	AvgLogprob       float64 `json:"avg_logprob"`
	CompressionRatio float64 `json:"compression_ratio"`
	NoSpeechProb     float64 `json:"no_speech_prob"`
}

type verboseBody struct {
	Task     string           `json:"task"`
	Language string           `json:"language"`
	Duration float64          `json:"duration"`
	Text     string           `json:"text"`
	Words    []verboseWord    `json:"words,omitempty"`
	Segments []verboseSegment `json:"segments,omitempty"`
}

func seconds(ms int64) float64 { return float64(ms) / 1000 }

func verboseTranscription(t *transcript, words, segments bool) verboseBody {
	b := verboseBody{Task: "transcribe", Language: "english", Duration: seconds(t.DurationMs), Text: t.Text}
	if words {
		b.Words = []verboseWord{}
		for _, w := range t.Words {
			b.Words = append(b.Words, verboseWord{Word: w.Word, Start: seconds(w.StartMs), End: seconds(w.EndMs)})
		}
	}
	if segments {
		b.Segments = []verboseSegment{}
		for i, s := range t.Segments {
			b.Segments = append(b.Segments, verboseSegment{ID: i, Start: seconds(s.StartMs), End: seconds(s.EndMs),
				Text: " " + s.Text, Tokens: []int{}})
		}
	}
	return b
}

// subtitles renders the segments as SubRip (SRT) or WebVTT cues.
func subtitles(t *transcript, vtt bool) string {
	var b strings.Builder
	sep := ","
	if vtt {
		b.WriteString("WEBVTT\n\n")
		sep = "."
	}
	stamp := func(ms int64) string {
		return fmt.Sprintf("%02d:%02d:%02d%s%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
	}
	for i, s := range t.Segments {
		if !vtt {
			fmt.Fprintf(&b, "%d\n", i+1)
		}
		fmt.Fprintf(&b, "%s --> %s\n%s\n\n", stamp(s.StartMs), stamp(s.EndMs), s.Text)
	}
	return b.String()
}

// transcriptionStream answers stream=true: a transcript.text.delta event
// per utterance as it is recognised, then transcript.text.done. It runs
// recognition inside the body writer, on fasthttp's goroutine.
type transcriptionStream struct {
	s      *Server
	pcm    []int16
	params transcribeParams
}

func (ts *transcriptionStream) respond(ctx *fasthttp.RequestCtx, status int) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/event-stream")
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	ctx.SetBodyStreamWriter(ts.write)
}

func (ts *transcriptionStream) write(w *bufio.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), maxAudioDuration)
	defer cancel()
	event := func(v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", raw); err != nil {
			return err
		}
		return w.Flush()
	}
	first := true
	t, err := ts.s.transcribePCM(ctx, ts.pcm, ts.params, func(seg segment) {
		delta := seg.Text
		if !first {
			delta = " " + delta
		}
		first = false
		if event(map[string]string{"type": "transcript.text.delta", "delta": delta}) != nil {
			cancel() // the client is gone
		}
	})
	if err != nil {
		msg := "transcription failed"
		if p := resource.AsProblem(err); p != nil {
			msg = p.Message
		}
		_ = event(map[string]any{"type": "error", "error": openaiError{Message: msg, Type: "server_error"}})
		return
	}
	_ = event(map[string]string{"type": "transcript.text.done", "text": t.Text})
}

// ---- OpenAPI descriptions of the non-JSON bodies ----

func binarySchema() obj { return obj{"type": "string", "format": "binary"} }

func requestIDHeader() obj { return obj{"X-Request-Id": obj{"$ref": "#/components/headers/RequestId"}} }

// docAudioResponse describes a 200 whose body is audio.
func docAudioResponse(desc string) func(op obj) {
	return func(op obj) {
		content := obj{}
		for _, ct := range []string{"audio/wav", "audio/mpeg", "audio/ogg", "audio/pcm", "audio/basic"} {
			content[ct] = obj{"schema": binarySchema()}
		}
		headers := requestIDHeader()
		headers["X-Audio-Sample-Rate"] = obj{"description": "Sample rate of the audio in Hz.", "schema": obj{"type": "integer"}}
		headers["X-Audio-Format"] = obj{"description": "The audio format: wav, mp3, opus, pcm or mulaw.", "schema": obj{"type": "string"}}
		op["responses"].(obj)["200"] = obj{"description": desc, "headers": headers, "content": content}
		op["responses"].(obj)["502"] = obj{"description": "The speech engine failed before producing audio (PROVIDER_UNAVAILABLE).",
			"headers": requestIDHeader(), "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}}
	}
}

// docMultipart describes a multipart/form-data request body.
func docMultipart(schema string, required bool) func(op obj) {
	return func(op obj) {
		op["requestBody"] = obj{"required": required, "content": obj{"multipart/form-data": obj{
			"schema": obj{"$ref": "#/components/schemas/" + schema}}}}
		op["responses"].(obj)["413"] = obj{"$ref": "#/components/responses/TooLarge"}
	}
}

// docTranscribeInput describes /v1/transcribe's inputs: multipart or raw
// audio with its options in the query.
func docTranscribeInput(op obj) {
	op["requestBody"] = obj{"required": true, "content": obj{
		"multipart/form-data":      obj{"schema": obj{"$ref": "#/components/schemas/TranscribeMultipart"}},
		"audio/*":                  obj{"schema": binarySchema()},
		"application/octet-stream": obj{"schema": binarySchema()},
	}}
	q := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "description": desc, "schema": schema}
	}
	params, _ := op["parameters"].([]obj)
	op["parameters"] = append(params,
		q("encoding", "Encoding of headerless audio (raw bodies or a file part without a header).",
			obj{"type": "string", "enum": []string{"mulaw", "alaw", "pcm16"}}),
		q("sampleRate", "Sample rate of headerless audio (default 8000 for mulaw/alaw, 16000 for pcm16).",
			obj{"type": "integer", "minimum": 8000, "maximum": 48000}),
		q("language", "Language of the audio; en / en-US.", obj{"type": "string"}),
		q("phrases", "A domain phrase (repeat the parameter) or a JSON array of them, for raw bodies.", obj{"type": "string"}),
	)
	op["responses"].(obj)["413"] = obj{"$ref": "#/components/responses/TooLarge"}
}

func docOpenAITranscription(op obj) {
	op["requestBody"] = obj{"required": true, "content": obj{"multipart/form-data": obj{
		"schema": obj{"$ref": "#/components/schemas/OpenAITranscriptionInput"}}}}
	op["responses"].(obj)["200"] = obj{
		"description": "The transcript: JSON for json and verbose_json, text/plain for text, srt and vtt, and server-sent events when stream is true.",
		"headers":     requestIDHeader(),
		"content": obj{
			"application/json": obj{"schema": obj{"anyOf": []obj{
				{"$ref": "#/components/schemas/OpenAITranscription"},
				{"$ref": "#/components/schemas/OpenAIVerboseTranscription"},
			}}},
			"text/plain":        obj{"schema": obj{"type": "string"}},
			"text/event-stream": obj{"schema": obj{"type": "string", "description": "data: {\"type\":\"transcript.text.delta\",\"delta\":…} events, then data: {\"type\":\"transcript.text.done\",\"text\":…}."}},
		},
	}
	op["responses"].(obj)["413"] = obj{"$ref": "#/components/responses/TooLarge"}
}

// docOpenAI applies more, then describes the error responses in OpenAI's
// shape, which these routes use.
func docOpenAI(more func(op obj)) func(op obj) {
	return func(op obj) {
		if more != nil {
			more(op)
		}
		responses := op["responses"].(obj)
		for code := range responses {
			if n, err := strconv.Atoi(code); err == nil && n >= 400 {
				responses[code] = obj{"description": openaiErrorDescription(n), "headers": requestIDHeader(),
					"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/OpenAIError"}}}}
			}
		}
	}
}

func openaiErrorDescription(status int) string {
	switch status {
	case 400:
		return "The request is invalid (type invalid_request_error, param names the field)."
	case 401:
		return "No valid API key (code invalid_api_key)."
	case 404:
		return "No such resource."
	case 413:
		return "The body is over the size limit."
	case 429:
		return "Rate limit exceeded (type rate_limit_error); retry after Retry-After."
	case 502:
		return "The speech engine failed (type server_error)."
	}
	return "An unexpected failure (type server_error)."
}
