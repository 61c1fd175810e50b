package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/job"
	"github.com/switchboard-voice/switchboard/actors/voice"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/audio/vad"
	"github.com/switchboard-voice/switchboard/providers/engines"
	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/resource"
)

// Limits of the speech endpoints.
const (
	// maxAudioBytes caps an upload to transcribe (OpenAI's limit too).
	maxAudioBytes = 25 << 20
	// maxAudioDuration caps the audio of one transcription.
	maxAudioDuration = 10 * time.Minute
	// maxUtterance forces a final result when speech runs on without a
	// pause; pocketsphinx is most accurate on utterances under 30 s.
	maxUtterance = 25 * time.Second
	// synthesisTimeout bounds one synthesis, so an abandoned stream cannot
	// hold a synthesis thread.
	synthesisTimeout = 2 * time.Minute
	// defaultOutputRate matches OpenAI's 24 kHz.
	defaultOutputRate = 24000
	// maxPhrases and maxPhraseLen bound a request's domain phrases.
	maxPhrases, maxPhraseLen = 500, 200
	// transcriptionKind names transcription jobs.
	transcriptionKind = "transcription"
)

func speechRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/synthesize", Summary: "Synthesize speech (streamed as it is produced)", Tag: "Speech",
			Request: "SynthesizeInput", Doc: docAudioResponse("Audio in the requested format, streamed with chunked encoding."),
			Handle: (*Server).synthesize},
		{Method: "GET", Path: "/v1/voices", Summary: "List voices (built-in, then the organization's custom voices)", Tag: "Speech",
			ListOf: "Voice", Handle: (*Server).listVoices},
		{Method: "POST", Path: "/v1/voices/clone", Summary: "Create a custom voice from a sample", Tag: "Speech",
			Responses: map[int]string{201: "Voice"}, Doc: docMultipart("VoiceCloneInput", true), Handle: (*Server).cloneVoice},
		{Method: "GET", Path: "/v1/voices/{id}", Summary: "Get voice", Tag: "Speech",
			Responses: map[int]string{200: "Voice"}, Handle: (*Server).getVoice},
		{Method: "DELETE", Path: "/v1/voices/{id}", Summary: "Delete custom voice", Tag: "Speech",
			Responses: map[int]string{204: ""}, Handle: (*Server).deleteVoice},
		{Method: "POST", Path: "/v1/transcribe", Summary: "Transcribe audio", Tag: "Speech",
			Responses: map[int]string{200: "Transcript"}, Doc: docTranscribeInput, Handle: (*Server).transcribe},
		{Method: "POST", Path: "/v1/transcribe/async", Summary: "Start a transcription job", Tag: "Speech",
			Responses: map[int]string{202: "TranscriptionJob"}, Doc: docTranscribeInput, Handle: (*Server).transcribeAsync},
		{Method: "GET", Path: "/v1/transcribe/{jobId}", Summary: "Get a transcription job", Tag: "Speech",
			Responses: map[int]string{200: "TranscriptionJob"}, Handle: (*Server).getTranscriptionJob},
	}
}

// ---- voices ----

// voiceBody is a voice as the API shows it, built-in or custom.
type voiceBody struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Provider   string  `json:"provider"`
	Language   string  `json:"language"`
	SampleRate int     `json:"sampleRate"`
	Custom     bool    `json:"custom"`
	BaseVoice  string  `json:"baseVoice,omitempty"`
	Pitch      float64 `json:"pitch"`
	Speed      float64 `json:"speed"`
	Method     string  `json:"method,omitempty"`
	Note       string  `json:"note,omitempty"`
	CreatedAt  *string `json:"createdAt,omitempty"`
}

// builtinVoices lists the engines' voices, ordered by ID, with the
// provider name requests use.
func (s *Server) builtinVoices() []voiceBody {
	var out []voiceBody
	for provider, e := range s.engines.TTS {
		for _, v := range e.Voices() {
			out = append(out, voiceBody{ID: v.ID, Name: v.Name, Provider: provider, Language: v.Language,
				SampleRate: v.SampleRate, Pitch: 0, Speed: 1})
		}
	}
	slices.SortFunc(out, func(a, b voiceBody) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (s *Server) builtinVoice(id string) (voiceBody, bool) {
	for _, v := range s.builtinVoices() {
		if v.ID == id {
			return v, true
		}
	}
	return voiceBody{}, false
}

func customVoiceBody(v *voice.Voice) voiceBody {
	at := v.CreatedAt.Format(time.RFC3339Nano)
	return voiceBody{ID: v.ID, Name: v.Name, Provider: v.Provider, Language: v.Language, SampleRate: v.SampleRate,
		Custom: true, BaseVoice: v.BaseVoice, Pitch: v.Pitch, Speed: v.Speed, Method: v.Method, Note: v.Note, CreatedAt: &at}
}

func (s *Server) listVoices(c *call) (int, any, error) {
	args := c.ctx.QueryArgs()
	limit := defaultLimit
	if raw := args.Peek("limit"); raw != nil {
		n, err := strconv.Atoi(string(raw))
		if err != nil || n < 1 || n > maxLimit {
			return 0, nil, resource.Invalid(resource.FieldError{Field: "limit", Message: "must be an integer from 1 to 100"})
		}
		limit = n
	}
	builtin := s.builtinVoices()
	cursor := string(args.Peek("cursor"))
	var page []voiceBody
	customAfter := ""
	switch {
	case cursor == "":
		page = builtin
	case resource.ValidID(resource.PrefixVoice, cursor):
		customAfter = cursor
	default:
		i := slices.IndexFunc(builtin, func(v voiceBody) bool { return v.ID == cursor })
		if i < 0 {
			return 0, nil, resource.Invalid(resource.FieldError{Field: "cursor", Message: "must be a cursor returned by this list"})
		}
		page = builtin[i+1:]
	}
	if len(page) > limit {
		page = page[:limit]
		return fasthttp.StatusOK, newList(page, page[len(page)-1].ID, true), nil
	}
	res, err := ask[*voice.ListResult](s, s.sys.Voices, &voice.List{OrgID: c.who.OrgID, After: customAfter, Limit: limit - len(page)})
	if err != nil {
		return 0, nil, err
	}
	for i := range res.Items {
		page = append(page, customVoiceBody(&res.Items[i]))
	}
	next := ""
	if len(page) > 0 {
		next = page[len(page)-1].ID
	}
	hasMore := res.HasMore
	if len(page) == limit && !hasMore && len(res.Items) == 0 {
		// The page ended exactly at the last built-in voice: custom voices
		// may follow.
		more, err := ask[*voice.ListResult](s, s.sys.Voices, &voice.List{OrgID: c.who.OrgID, Limit: 1})
		if err != nil {
			return 0, nil, err
		}
		hasMore = len(more.Items) > 0
	}
	return fasthttp.StatusOK, newList(page, next, hasMore), nil
}

func (s *Server) getVoice(c *call) (int, any, error) {
	id, _ := c.ctx.UserValue("id").(string)
	if v, ok := s.builtinVoice(id); ok {
		return fasthttp.StatusOK, v, nil
	}
	if !resource.ValidID(resource.PrefixVoice, id) {
		return 0, nil, resource.NotFound("voice")
	}
	v, err := ask[*voice.Voice](s, s.sys.Voices, &voice.Get{OrgID: c.who.OrgID, ID: id})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, customVoiceBody(v), nil
}

// deleteVoice removes a custom voice. Built-in voices belong to the engine,
// not to the organization: deleting one is a VALIDATION_ERROR that says so,
// rather than a 404 that would suggest the voice does not exist.
func (s *Server) deleteVoice(c *call) (int, any, error) {
	id, _ := c.ctx.UserValue("id").(string)
	if _, ok := s.builtinVoice(id); ok {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "id", Message: "built-in voices cannot be deleted"})
	}
	if !resource.ValidID(resource.PrefixVoice, id) {
		return 0, nil, resource.NotFound("voice")
	}
	_, err := ask[*voice.Deleted](s, s.sys.Voices, &voice.Delete{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusNoContent, nil, err
}

// resolvedVoice is what synthesis needs of a voice.
type resolvedVoice struct {
	Provider, EngineVoice string
	Pitch, Speed          float64
}

// resolveVoice finds a built-in or custom voice; field names it in errors.
func (s *Server) resolveVoice(orgID, id, field string) (resolvedVoice, error) {
	if id == "" {
		id = "flite-slt"
	}
	if v, ok := s.builtinVoice(id); ok {
		return resolvedVoice{Provider: v.Provider, EngineVoice: v.ID, Speed: 1}, nil
	}
	unknown := resource.Invalid(resource.FieldError{Field: field, Message: "no such voice; GET /v1/voices lists them"})
	if !resource.ValidID(resource.PrefixVoice, id) {
		return resolvedVoice{}, unknown
	}
	v, err := ask[*voice.Voice](s, s.sys.Voices, &voice.Get{OrgID: orgID, ID: id})
	if p := resource.AsProblem(err); p != nil && p.Code == resource.CodeNotFound {
		return resolvedVoice{}, unknown
	}
	if err != nil {
		return resolvedVoice{}, err
	}
	return resolvedVoice{Provider: v.Provider, EngineVoice: v.BaseVoice, Pitch: v.Pitch, Speed: v.Speed}, nil
}

// ---- synthesize ----

// synthesizeInput is the body of POST /v1/synthesize.
type synthesizeInput struct {
	Text       string   `json:"text"`
	VoiceID    string   `json:"voiceId"`
	Format     string   `json:"format"`
	SampleRate *int     `json:"sampleRate"`
	Speed      *float64 `json:"speed"`
}

// Validate checks the fields that need no lookup.
func (in *synthesizeInput) Validate() *resource.Problem {
	var errs []resource.FieldError
	errs = append(errs, validateText("text", in.Text)...)
	if in.Format == "" {
		in.Format = formatWAV
	}
	rate := 0
	if in.SampleRate != nil {
		rate = *in.SampleRate
	}
	errs = append(errs, validateFormatRate("format", "sampleRate", in.Format, rate)...)
	if in.Speed != nil && !(*in.Speed >= tts.MinSpeed && *in.Speed <= tts.MaxSpeed) {
		errs = append(errs, resource.FieldError{Field: "speed", Message: fmt.Sprintf("must be from %v to %v", tts.MinSpeed, tts.MaxSpeed)})
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

func validateText(field, text string) []resource.FieldError {
	switch n := utf8.RuneCountInString(text); {
	case strings.TrimSpace(text) == "":
		return []resource.FieldError{{Field: field, Message: "is required"}}
	case n > tts.MaxTextLen:
		return []resource.FieldError{{Field: field, Message: fmt.Sprintf("must be at most %d characters (got %d)", tts.MaxTextLen, n)}}
	}
	return nil
}

func validateFormatRate(formatField, rateField, format string, rate int) []resource.FieldError {
	if _, ok := contentTypes[format]; !ok {
		return []resource.FieldError{{Field: formatField, Message: "must be one of wav, mp3, opus, pcm, mulaw"}}
	}
	if rate == 0 {
		return nil
	}
	switch {
	case !slices.Contains(outputRates, rate):
		return []resource.FieldError{{Field: rateField, Message: "must be one of 8000, 16000, 22050, 24000, 44100, 48000"}}
	case format == formatMulaw && rate != 8000:
		return []resource.FieldError{{Field: rateField, Message: "mulaw is always 8000 Hz"}}
	case format == formatOpus && !slices.Contains([]int{8000, 16000, 24000, 48000}, rate):
		return []resource.FieldError{{Field: rateField, Message: "opus takes 8000, 16000, 24000 or 48000"}}
	}
	return nil
}

func outputRate(format string, requested int) int {
	switch {
	case format == formatMulaw:
		return 8000
	case requested != 0:
		return requested
	}
	return defaultOutputRate
}

func (s *Server) synthesize(c *call) (int, any, error) {
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in synthesizeInput
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	v, err := s.resolveVoice(c.who.OrgID, in.VoiceID, "voiceId")
	if err != nil {
		return 0, nil, err
	}
	speed := v.Speed
	if in.Speed != nil {
		speed *= *in.Speed
	}
	rate := 0
	if in.SampleRate != nil {
		rate = *in.SampleRate
	}
	return s.startSpeech(speechRequest{
		Provider: v.Provider,
		TTS:      tts.Request{Text: in.Text, VoiceID: v.EngineVoice, Pitch: v.Pitch, Speed: clamp(speed, tts.MinSpeed, tts.MaxSpeed)},
		Format:   in.Format,
		Rate:     outputRate(in.Format, rate),
	}, "voiceId")
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// speechRequest is a synthesis to stream.
type speechRequest struct {
	Provider string
	TTS      tts.Request
	Format   string
	Rate     int
}

// pcmPiece is a copy of one chunk of synthesized audio, or the error that
// ended synthesis.
type pcmPiece struct {
	pcm  []int16
	rate int
	err  error
}

// startSpeech starts synthesis and waits for its first chunk, so that a
// request the engine refuses, or an engine that fails, gets an error status
// instead of a 200 with a broken body. The rest streams from the answer's
// body writer.
func (s *Server) startSpeech(req speechRequest, voiceField string) (int, any, error) {
	engine, err := s.engines.Synthesizer(req.Provider)
	if err != nil {
		return 0, nil, &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the voice's provider is not configured on this server"}
	}
	st := &speechStream{req: req, pieces: make(chan pcmPiece, 32)}
	ctx, cancel := context.WithTimeout(context.Background(), synthesisTimeout)
	st.cancel = cancel
	// The goroutine is owned by the stream: it ends when synthesis ends or
	// ctx is cancelled (by the body writer, or by the timeout if no writer
	// ever runs), and closes pieces when it does.
	go func() {
		defer close(st.pieces)
		err := engine.Synthesize(ctx, req.TTS, func(ch tts.Chunk) error {
			if len(ch.PCM) == 0 {
				return nil
			}
			select {
			case st.pieces <- pcmPiece{pcm: slices.Clone(ch.PCM), rate: ch.SampleRate}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			select {
			case st.pieces <- pcmPiece{err: err}:
			case <-ctx.Done():
			}
		}
	}()
	first, ok := <-st.pieces
	if !ok {
		cancel()
		return 0, nil, resource.Invalid(resource.FieldError{Field: "text", Message: "has nothing speakable"})
	}
	if first.err != nil {
		cancel()
		for range st.pieces {
		}
		return 0, nil, synthesisProblem(first.err, voiceField)
	}
	st.first = first
	return fasthttp.StatusOK, st, nil
}

func synthesisProblem(err error, voiceField string) error {
	switch {
	case errors.Is(err, tts.ErrUnknownVoice):
		return resource.Invalid(resource.FieldError{Field: voiceField, Message: "no such voice; GET /v1/voices lists them"})
	case errors.Is(err, tts.ErrEmptyText):
		return resource.Invalid(resource.FieldError{Field: "text", Message: "has nothing speakable"})
	case errors.Is(err, tts.ErrTextTooLong):
		return resource.Invalid(resource.FieldError{Field: "text", Message: fmt.Sprintf("must be at most %d characters", tts.MaxTextLen)})
	case errors.Is(err, tts.ErrInvalidOption):
		return resource.Invalid(resource.FieldError{Field: "speed", Message: "is out of range for this voice"})
	}
	return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the speech engine failed"}
}

// speechStream is a synthesis in progress, answered as a chunked body.
type speechStream struct {
	req    speechRequest
	first  pcmPiece
	pieces chan pcmPiece
	cancel context.CancelFunc
}

func (st *speechStream) respond(ctx *fasthttp.RequestCtx, status int) {
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentTypes[st.req.Format])
	h := &ctx.Response.Header
	h.Set("X-Audio-Format", st.req.Format)
	h.Set("X-Audio-Sample-Rate", strconv.Itoa(st.req.Rate))
	h.Set("X-Audio-Channels", "1")
	h.Set("Cache-Control", "no-store")
	ctx.SetBodyStreamWriter(st.write)
}

// write encodes and sends the audio as it arrives, flushing each piece so
// the client hears the first sentence while later ones are synthesized.
// Whatever happens it cancels synthesis and drains the channel, so the
// synthesis goroutine always ends.
func (st *speechStream) write(w *bufio.Writer) {
	defer func() {
		st.cancel()
		for range st.pieces {
		}
	}()
	enc, err := newAudioEncoder(st.req.Format, st.req.Rate, w)
	if err != nil {
		return
	}
	var rs *resample.Resampler
	var buf []int16
	send := func(p pcmPiece) error {
		pcm := p.pcm
		if p.rate != st.req.Rate {
			if rs == nil {
				if rs, err = resample.New(p.rate, st.req.Rate); err != nil {
					return err
				}
			}
			if need := rs.MaxOut(len(pcm)); cap(buf) < need {
				buf = make([]int16, need)
			}
			pcm = buf[:rs.Process(buf[:cap(buf)], pcm)]
		}
		if err := enc.Write(pcm); err != nil {
			return err
		}
		return w.Flush()
	}
	if err := send(st.first); err != nil {
		_ = enc.Close()
		return
	}
	for p := range st.pieces {
		// An engine failure after the first byte can only end the stream
		// early: the status line is already sent.
		if p.err != nil {
			break
		}
		if err := send(p); err != nil {
			_ = enc.Close()
			return
		}
	}
	if enc.Close() == nil {
		_ = w.Flush()
	}
}

// ---- clone ----

// speechState is what the speech endpoints compute once per server.
type speechState struct{ refs voiceRefs }

// voiceRefs are the built-in voices' own pitch and rate, measured once by
// synthesizing a reference passage with each, so that fitting compares a
// sample with what the engine really produces.
type voiceRefs struct {
	once  sync.Once
	bases []voice.Base
	err   error
}

const referencePassage = "Thank you for calling. Your appointment is confirmed for Tuesday at three in the afternoon. " +
	"Is there anything else I can help you with today?"

func (s *Server) voiceBases() ([]voice.Base, error) {
	s.speech.refs.once.Do(func() {
		engine, err := s.engines.Synthesizer("local")
		if err != nil {
			s.speech.refs.err = err
			return
		}
		for _, v := range engine.Voices() {
			pcm, rate, err := synthesizeAll(context.Background(), engine, tts.Request{Text: referencePassage, VoiceID: v.ID})
			if err != nil {
				s.speech.refs.err = err
				return
			}
			a, err := voice.Analyze(pcm, rate)
			if err != nil {
				s.speech.refs.err = err
				return
			}
			s.speech.refs.bases = append(s.speech.refs.bases, voice.Base{ID: v.ID, F0: a.F0, SyllablesPerSecond: a.SyllablesPerSecond})
		}
	})
	return s.speech.refs.bases, s.speech.refs.err
}

// synthesizeAll runs one synthesis to the end and returns its PCM.
func synthesizeAll(ctx context.Context, engine tts.Synthesizer, req tts.Request) ([]int16, int, error) {
	var pcm []int16
	rate := 0
	err := engine.Synthesize(ctx, req, func(ch tts.Chunk) error {
		pcm = append(pcm, ch.PCM...)
		if ch.SampleRate > 0 {
			rate = ch.SampleRate
		}
		return nil
	})
	return pcm, rate, err
}

func (s *Server) cloneVoice(c *call) (int, any, error) {
	form, p := multipartForm(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var errs []resource.FieldError
	name := strings.TrimSpace(formValue(form, "name"))
	if name == "" || utf8.RuneCountInString(name) > 100 {
		errs = append(errs, resource.FieldError{Field: "name", Message: "is required, at most 100 characters"})
	}
	data, fe := formFile(form, "file")
	if fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return 0, nil, resource.Invalid(errs...)
	}
	audio, p := decodeAudio(data, audioHint{}, 5*time.Minute, "file")
	if p != nil {
		return 0, nil, p
	}
	// A minute of speech pins pitch and rate down; more only costs time.
	pcm := audio.PCM[:min(len(audio.PCM), 60*sttRate)]
	sample, err := voice.Analyze(pcm, sttRate)
	if err != nil {
		return 0, nil, resource.Invalid(resource.FieldError{Field: "file", Message: "has too little voiced speech to fit a voice (send at least a few seconds of speech)"})
	}
	bases, err := s.voiceBases()
	if err != nil {
		return 0, nil, &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the speech engine failed"}
	}
	fit, err := voice.Fit(sample, bases)
	if err != nil {
		return 0, nil, resource.Internal()
	}
	base, _ := s.builtinVoice(fit.BaseVoice)
	v, err := ask[*voice.Voice](s, s.sys.Voices, &voice.Create{OrgID: c.who.OrgID, Voice: voice.Voice{
		Name: name, Provider: base.Provider, Language: base.Language, SampleRate: base.SampleRate,
		BaseVoice: fit.BaseVoice, Pitch: fit.Pitch, Speed: fit.Speed, Method: "fitted",
		Note: fmt.Sprintf("fitted: the embedded engine cannot clone a speaker; this is %s shifted %+.2f semitones at %.2f× speed "+
			"to match the sample's median pitch of %.0f Hz and rate of %.1f syllables/s",
			fit.BaseVoice, fit.Pitch, fit.Speed, sample.F0, sample.SyllablesPerSecond),
		SampleF0: round1(sample.F0), SampleSyllRate: round1(sample.SyllablesPerSecond),
	}})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusCreated, customVoiceBody(v), nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// ---- multipart ----

// multipartForm parses a multipart/form-data body; a truncated or
// malformed one is a VALIDATION_ERROR.
func multipartForm(ctx *fasthttp.RequestCtx) (*multipart.Form, *resource.Problem) {
	if !hasPrefixFold(ctx.Request.Header.ContentType(), "multipart/form-data") {
		return nil, resource.Invalid(resource.FieldError{Field: "Content-Type", Message: "must be multipart/form-data"})
	}
	form, err := ctx.MultipartForm()
	if err != nil {
		return nil, resource.Invalid(resource.FieldError{Field: "body", Message: "is not a complete multipart/form-data body"})
	}
	return form, nil
}

func formValue(form *multipart.Form, name string) string {
	if v := form.Value[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// formFile reads a file part whole (a copy that outlives the request).
func formFile(form *multipart.Form, name string) ([]byte, *resource.FieldError) {
	files := form.File[name]
	if len(files) == 0 {
		if v := form.Value[name]; len(v) > 0 && v[0] != "" {
			return []byte(v[0]), nil // sent as a plain field
		}
		return nil, &resource.FieldError{Field: name, Message: "is required (a file part)"}
	}
	fh := files[0]
	if fh.Size > maxAudioBytes {
		return nil, &resource.FieldError{Field: name, Message: fmt.Sprintf("must be at most %d bytes", maxAudioBytes)}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, &resource.FieldError{Field: name, Message: "could not be read"}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAudioBytes+1))
	if err != nil || len(data) > maxAudioBytes {
		return nil, &resource.FieldError{Field: name, Message: "could not be read"}
	}
	return data, nil
}

// ---- transcribe ----

// transcribeParams are a transcription's options; jobs store them.
type transcribeParams struct {
	Language string    `json:"language,omitempty"`
	Phrases  []string  `json:"phrases,omitempty"`
	Hint     audioHint `json:"hint"`
}

// transcribeRequest is an upload to transcribe, copied out of the request.
type transcribeRequest struct {
	Params transcribeParams
	Audio  []byte
	// Form holds the other multipart fields (OpenAI's options).
	Form map[string][]string
}

// readTranscribeRequest accepts multipart (file, language, phrases) or a
// raw audio body (options in the query).
func readTranscribeRequest(ctx *fasthttp.RequestCtx) (*transcribeRequest, *resource.Problem) {
	if n := ctx.Request.Header.ContentLength(); n > maxAudioBytes || len(ctx.PostBody()) > maxAudioBytes+1<<20 {
		return nil, &resource.Problem{Code: resource.CodeValidation, Status: fasthttp.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("body must be at most %d bytes", maxAudioBytes)}
	}
	args := ctx.QueryArgs()
	ct := string(ctx.Request.Header.ContentType())
	req := &transcribeRequest{}
	var errs []resource.FieldError
	var phrases []string
	if hasPrefixFold([]byte(ct), "multipart/") {
		form, p := multipartForm(ctx)
		if p != nil {
			return nil, p
		}
		data, fe := formFile(form, "file")
		if fe != nil {
			errs = append(errs, *fe)
		}
		req.Audio = data
		req.Form = form.Value
		req.Params.Language = formValue(form, "language")
		for _, key := range []string{"phrases", "phrases[]"} {
			for _, v := range form.Value[key] {
				ps, fe := parsePhrases(v)
				if fe != nil {
					errs = append(errs, *fe)
				}
				phrases = append(phrases, ps...)
			}
		}
		h, herrs := hintFromRequest(formValue(form, "encoding")+string(args.Peek("encoding")),
			firstNonEmpty(formValue(form, "sampleRate"), string(args.Peek("sampleRate"))), "")
		req.Params.Hint = h
		errs = append(errs, herrs...)
	} else {
		if ct != "" && !hasPrefixFold([]byte(ct), "audio/") && !hasPrefixFold([]byte(ct), "application/octet-stream") {
			return nil, resource.Invalid(resource.FieldError{Field: "Content-Type",
				Message: "must be multipart/form-data, audio/* or application/octet-stream"})
		}
		req.Audio = append([]byte(nil), ctx.PostBody()...)
		req.Params.Language = string(args.Peek("language"))
		for _, v := range args.PeekMulti("phrases") {
			ps, fe := parsePhrases(string(v))
			if fe != nil {
				errs = append(errs, *fe)
			}
			phrases = append(phrases, ps...)
		}
		h, herrs := hintFromRequest(string(args.Peek("encoding")), string(args.Peek("sampleRate")), ct)
		req.Params.Hint = h
		errs = append(errs, herrs...)
	}
	if len(req.Audio) > maxAudioBytes {
		return nil, &resource.Problem{Code: resource.CodeValidation, Status: fasthttp.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("file must be at most %d bytes", maxAudioBytes)}
	}
	if l := strings.ToLower(req.Params.Language); l != "" && l != "en" && l != "en-us" {
		errs = append(errs, resource.FieldError{Field: "language", Message: "only en / en-US is available on this server"})
	}
	if len(phrases) > maxPhrases {
		errs = append(errs, resource.FieldError{Field: "phrases", Message: fmt.Sprintf("at most %d phrases", maxPhrases)})
	}
	req.Params.Phrases = phrases
	if len(errs) > 0 {
		return nil, resource.Invalid(errs...)
	}
	return req, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parsePhrases takes a JSON array of strings or one plain phrase.
func parsePhrases(v string) ([]string, *resource.FieldError) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	var out []string
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return nil, &resource.FieldError{Field: "phrases", Message: "must be a JSON array of strings or repeated fields"}
		}
	} else {
		out = []string{v}
	}
	for _, p := range out {
		if utf8.RuneCountInString(p) > maxPhraseLen {
			return nil, &resource.FieldError{Field: "phrases", Message: fmt.Sprintf("each phrase must be at most %d characters", maxPhraseLen)}
		}
	}
	return out, nil
}

// transcript is the answer of /v1/transcribe and a job's result.
type transcript struct {
	Text       string           `json:"text"`
	Language   string           `json:"language"`
	DurationMs int64            `json:"durationMs"`
	Words      []transcriptWord `json:"words"`
	Segments   []segment        `json:"segments"`
}

type transcriptWord struct {
	Word       string  `json:"word"`
	StartMs    int64   `json:"startMs"`
	EndMs      int64   `json:"endMs"`
	Confidence float64 `json:"confidence"`
}

// segment is one utterance: speech between pauses.
type segment struct {
	Text    string `json:"text"`
	StartMs int64  `json:"startMs"`
	EndMs   int64  `json:"endMs"`
}

// transcribePCM recognises 16 kHz speech. The audio is fed in 20 ms frames;
// a voice activity detector ends an utterance at each pause (or after
// maxUtterance of speech without one), which keeps utterances short for
// pocketsphinx. onSegment, if set, sees each utterance as it is finalized.
func (s *Server) transcribePCM(ctx context.Context, pcm []int16, params transcribeParams, onSegment func(segment)) (*transcript, error) {
	engine, err := s.engines.Recognizer("local")
	if err != nil {
		return nil, &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "no speech recognizer is configured"}
	}
	stream, err := engine.NewStream(ctx, stt.Config{SampleRate: sttRate, Language: params.Language, Phrases: params.Phrases})
	if err != nil {
		return nil, recognitionProblem(err)
	}
	defer stream.Close()
	// A pause of half a second ends an utterance: long enough not to cut
	// within a sentence, short enough to keep utterances short.
	vcfg := vad.DefaultConfig(sttRate)
	vcfg.MinSilence = 500 * time.Millisecond
	det, err := vad.New(vcfg)
	if err != nil {
		return nil, err
	}
	out := &transcript{Language: "en", DurationMs: int64(len(pcm)) * 1000 / sttRate, Words: []transcriptWord{}, Segments: []segment{}}
	var texts []string
	finalize := func() error {
		res, err := stream.Finalize()
		if err != nil {
			return err
		}
		text := strings.TrimSpace(res.Text)
		if text == "" {
			return nil
		}
		seg := segment{Text: text}
		for i, w := range res.Words {
			tw := transcriptWord{Word: w.Text, StartMs: w.Start.Milliseconds(), EndMs: w.End.Milliseconds(), Confidence: round3(w.Confidence)}
			out.Words = append(out.Words, tw)
			if i == 0 {
				seg.StartMs = tw.StartMs
			}
			seg.EndMs = tw.EndMs
		}
		texts = append(texts, text)
		out.Segments = append(out.Segments, seg)
		if onSegment != nil {
			onSegment(seg)
		}
		return nil
	}
	const frame = sttRate / 50
	utterance := 0
	for i := 0; i < len(pcm); i += frame {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := pcm[i:min(i+frame, len(pcm))]
		if err := stream.Write(f); err != nil {
			return nil, recognitionProblem(err)
		}
		utterance += len(f)
		ev := det.Process(f)
		if ev.Kind == vad.SpeechEnd || utterance >= int(maxUtterance.Seconds())*sttRate {
			if err := finalize(); err != nil {
				return nil, recognitionProblem(err)
			}
			utterance = 0
		}
	}
	if err := finalize(); err != nil {
		return nil, recognitionProblem(err)
	}
	out.Text = strings.Join(texts, " ")
	return out, nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func recognitionProblem(err error) error {
	switch {
	case errors.Is(err, stt.ErrUnsupportedLanguage):
		return resource.Invalid(resource.FieldError{Field: "language", Message: "only en / en-US is available on this server"})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, engines.ErrUnknownProvider):
		return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "no speech recognizer is configured"}
	}
	return &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the speech recognizer failed"}
}

// transcribeUpload decodes and transcribes an upload.
func (s *Server) transcribeUpload(ctx context.Context, params transcribeParams, data []byte, onSegment func(segment)) (*transcript, error) {
	audio, p := decodeAudio(data, params.Hint, maxAudioDuration, "file")
	if p != nil {
		return nil, p
	}
	return s.transcribePCM(ctx, audio.PCM, params, onSegment)
}

func (s *Server) transcribe(c *call) (int, any, error) {
	req, p := readTranscribeRequest(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	ctx, cancel := context.WithTimeout(context.Background(), maxAudioDuration)
	defer cancel()
	t, err := s.transcribeUpload(ctx, req.Params, req.Audio, nil)
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, t, nil
}

// jobBody is a transcription job as the API shows it.
type jobBody struct {
	ID        string            `json:"id"`
	Status    job.Status        `json:"status"`
	Result    json.RawMessage   `json:"result"`
	Error     *resource.Problem `json:"error"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

func jobBodyOf(j *job.Job) jobBody {
	b := jobBody{ID: j.ID, Status: j.Status, Result: j.Result, Error: j.Error, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
	if len(b.Result) == 0 {
		b.Result = json.RawMessage("null")
	}
	return b
}

func (s *Server) transcribeAsync(c *call) (int, any, error) {
	req, p := readTranscribeRequest(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	// Refuse what cannot be decoded now rather than in a failed job later.
	if _, p := decodeAudio(req.Audio, req.Params.Hint, maxAudioDuration, "file"); p != nil {
		return 0, nil, p
	}
	params, err := json.Marshal(req.Params)
	if err != nil {
		return 0, nil, err
	}
	j, err := ask[*job.Job](s, s.sys.Jobs, &job.Submit{OrgID: c.who.OrgID, Kind: transcriptionKind, Params: params, Input: req.Audio})
	if err != nil {
		return 0, nil, err
	}
	c.ctx.Response.Header.Set("Location", "/v1/transcribe/"+j.ID)
	return fasthttp.StatusAccepted, jobBodyOf(j), nil
}

func (s *Server) getTranscriptionJob(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "jobId", resource.PrefixJob, "job")
	if p != nil {
		return 0, nil, p
	}
	j, err := ask[*job.Job](s, s.sys.Jobs, &job.Get{OrgID: c.who.OrgID, ID: id})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, jobBodyOf(j), nil
}

// attachJobs gives the job manager the work it runs.
func (s *Server) attachJobs() {
	if s.sys == nil || s.sys.Jobs == nil || s.engines == nil {
		return
	}
	s.sys.Root().Send(s.sys.Jobs, &job.Attach{Run: s.runJob})
}

func (s *Server) runJob(ctx context.Context, j *job.Job, input []byte) (json.RawMessage, error) {
	if j.Kind != transcriptionKind {
		return nil, fmt.Errorf("rest: unknown job kind %q", j.Kind)
	}
	var params transcribeParams
	if err := json.Unmarshal(j.Params, &params); err != nil {
		return nil, err
	}
	t, err := s.transcribeUpload(ctx, params, input, nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(t)
}
