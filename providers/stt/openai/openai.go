package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard/audio/wav"
	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/stt"
)

// Defaults for Config fields left empty.
const (
	DefaultBaseURL = "https://api.openai.com/v1"
	DefaultModel   = "whisper-1"
	DefaultName    = "openai"
	// DefaultMaxUtterance keeps an upload well under OpenAI's 25 MB limit
	// at any rate up to 48 kHz.
	DefaultMaxUtterance = 2 * time.Minute
	// maxPrompt bounds the prompt built from phrases: Whisper reads only
	// the last 224 tokens of it.
	maxPrompt = 800
	// maxResponse bounds the transcript body read.
	maxResponse = 4 << 20
)

// Config configures a Client.
type Config struct {
	// BaseURL includes the API version path ("https://api.openai.com/v1").
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	APIKey string
	Model  string
	// Name identifies the provider in errors.
	Name string
	// MaxUtterance bounds the audio buffered between Finalize calls; Write
	// refuses audio beyond it.
	MaxUtterance time.Duration
	// HTTPClient defaults to provider.NewHTTPClient().
	HTTPClient *http.Client
	// Logger receives debug logs; nil logs nothing.
	Logger *slog.Logger
}

// Client is an stt.Streamer over the transcription endpoint. It is safe for
// concurrent use.
type Client struct {
	cfg Config
}

var _ stt.Streamer = (*Client)(nil)

// New returns a Client, filling defaults into cfg.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.MaxUtterance <= 0 {
		cfg.MaxUtterance = DefaultMaxUtterance
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = provider.NewHTTPClient()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}
}

// NewStream implements stt.Streamer. Any rate from 8 to 48 kHz is accepted:
// the WAV header carries it and the service resamples.
func (c *Client) NewStream(ctx context.Context, cfg stt.Config) (stt.Stream, error) {
	if cfg.SampleRate < 8000 || cfg.SampleRate > 48000 {
		return nil, fmt.Errorf("%w: %d Hz", stt.ErrUnsupportedRate, cfg.SampleRate)
	}
	ctx, cancel := context.WithCancel(ctx)
	lang, _, _ := strings.Cut(cfg.Language, "-") // ISO 639-1 is what the API takes
	return &stream{
		c:       c,
		ctx:     ctx,
		cancel:  cancel,
		rate:    cfg.SampleRate,
		lang:    strings.ToLower(lang),
		prompt:  prompt(cfg.Phrases),
		maxSamp: int(c.cfg.MaxUtterance.Seconds() * float64(cfg.SampleRate)),
	}, nil
}

// prompt joins phrases into a comma-separated vocabulary hint.
func prompt(phrases []string) string {
	var b strings.Builder
	for _, p := range phrases {
		p = strings.Join(strings.Fields(p), " ")
		if p == "" || b.Len()+len(p)+2 > maxPrompt {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p)
	}
	return b.String()
}

type stream struct {
	c       *Client
	ctx     context.Context // cancelled by Close: aborts an upload
	cancel  context.CancelFunc
	rate    int
	lang    string
	prompt  string
	maxSamp int

	mu     sync.Mutex // guards the fields below
	pcm    []int16    // the current utterance
	start  int64      // samples written before the current utterance
	closed bool
}

func (s *stream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	if len(s.pcm)+len(pcm) > s.maxSamp {
		return fmt.Errorf("%w: utterance longer than %v; call Finalize", stt.ErrEngine, s.c.cfg.MaxUtterance)
	}
	s.pcm = append(s.pcm, pcm...)
	return nil
}

// Partial implements stt.Stream: a batch transcription has no interim
// hypothesis.
func (s *stream) Partial() (stt.Result, bool) { return stt.Result{}, false }

// Finalize uploads the buffered utterance and returns its transcript. The
// utterance is consumed whether or not the upload succeeds: retrying stale
// audio after the caller moved on would answer the wrong turn.
func (s *stream) Finalize() (stt.Result, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return stt.Result{}, stt.ErrClosed
	}
	pcm, start := s.pcm, s.start
	s.pcm = nil
	s.start += int64(len(pcm))
	s.mu.Unlock()
	if len(pcm) == 0 {
		return stt.Result{Final: true}, nil
	}
	res, err := s.transcribe(pcm)
	if err != nil {
		return stt.Result{}, err
	}
	offset := time.Duration(start) * time.Second / time.Duration(s.rate)
	for i := range res.Words {
		res.Words[i].Start += offset
		res.Words[i].End += offset
	}
	return res, nil
}

func (s *stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.pcm = nil
		s.cancel()
	}
	return nil
}

type verboseJSON struct {
	Text  string `json:"text"`
	Words []struct {
		Word  string  `json:"word"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
	} `json:"words"`
}

func (s *stream) transcribe(pcm []int16) (stt.Result, error) {
	cfg := s.c.cfg
	audio, err := wav.EncodePCM16(pcm, s.rate, 1)
	if err != nil {
		return stt.Result{}, fmt.Errorf("%w: %v", stt.ErrEngine, err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "audio.wav")
	if err != nil {
		return stt.Result{}, err
	}
	fw.Write(audio) // a bytes.Buffer write cannot fail
	fields := [][2]string{
		{"model", cfg.Model},
		{"response_format", "verbose_json"},
		{"timestamp_granularities[]", "word"},
		{"language", s.lang},
		{"prompt", s.prompt},
	}
	for _, f := range fields {
		if f[1] != "" {
			mw.WriteField(f[0], f[1])
		}
	}
	mw.Close()

	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, cfg.BaseURL+"/audio/transcriptions", &body)
	if err != nil {
		return stt.Result{}, provider.Errorf(cfg.Name, s.c.secrets(), "bad base URL: %v", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		return stt.Result{}, s.transportErr(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		perr := provider.FromResponse(cfg.Name, resp, s.c.secrets()...)
		cfg.Logger.Debug("stt_upstream_error", "provider", cfg.Name, "status", perr.Status)
		return stt.Result{}, perr
	}
	var v verboseJSON
	dec := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, maxResponse))
	if err := dec.Decode(&v); err != nil {
		if s.ctx.Err() != nil {
			return stt.Result{}, s.transportErr(err)
		}
		return stt.Result{}, provider.Errorf(cfg.Name, s.c.secrets(), "malformed transcript: %v", err)
	}
	res := stt.Result{Text: strings.TrimSpace(v.Text), Final: true}
	for _, w := range v.Words {
		res.Words = append(res.Words, stt.Word{
			Text:       strings.TrimSpace(w.Word),
			Start:      seconds(w.Start),
			End:        seconds(w.End),
			Confidence: 1, // the API reports none
		})
	}
	return res, nil
}

// transportErr reports a closed stream as stt.ErrClosed rather than as the
// context error Close caused.
func (s *stream) transportErr(err error) error {
	err = provider.FromTransport(s.ctx, s.c.cfg.Name, err, s.c.secrets()...)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return stt.ErrClosed
	}
	return err
}

func seconds(f float64) time.Duration {
	if f < 0 || f != f || f > 1e6 { // negative, NaN or absurd: not a timestamp
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func (c *Client) secrets() []string { return []string{c.cfg.APIKey} }
