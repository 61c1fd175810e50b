package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/provider/pcmstream"
	"github.com/switchboard-voice/switchboard/providers/tts"
)

// Defaults for Config fields left empty.
const (
	DefaultBaseURL = "https://api.openai.com/v1"
	DefaultModel   = "gpt-4o-mini-tts"
	DefaultName    = "openai"
	// SampleRate is the rate of OpenAI's "pcm" response format.
	SampleRate = 24000
)

// DefaultVoices are OpenAI's built-in voice names.
var DefaultVoices = []string{"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"}

// Config configures a Client.
type Config struct {
	// BaseURL includes the API version path ("https://api.openai.com/v1").
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	APIKey string
	Model  string
	// Name identifies the provider in errors and prefixes voice IDs
	// ("openai" gives "openai-alloy").
	Name string
	// Voices are the upstream voice names offered; the first is the
	// default. Nil means DefaultVoices. Compatible servers have their own.
	Voices []string
	// Language is reported on every voice; empty means "en-US". OpenAI's
	// voices speak many languages but are tuned on English.
	Language string
	// HTTPClient defaults to provider.NewHTTPClient().
	HTTPClient *http.Client
	// Logger receives debug logs; nil logs nothing.
	Logger *slog.Logger
}

// Client is a tts.Synthesizer over the speech endpoint. It is safe for
// concurrent use.
type Client struct {
	cfg Config
}

var _ tts.Synthesizer = (*Client)(nil)

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
	if len(cfg.Voices) == 0 {
		cfg.Voices = DefaultVoices
	}
	if cfg.Language == "" {
		cfg.Language = "en-US"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = provider.NewHTTPClient()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}
}

// Voices implements tts.Synthesizer.
func (c *Client) Voices() []tts.Voice {
	out := make([]tts.Voice, 0, len(c.cfg.Voices))
	for _, v := range c.cfg.Voices {
		out = append(out, tts.Voice{
			ID: c.cfg.Name + "-" + v, Name: v, Provider: c.cfg.Name,
			Language: c.cfg.Language, SampleRate: SampleRate,
		})
	}
	return out
}

// voice maps a Request.VoiceID to the upstream voice name.
func (c *Client) voice(id string) (string, error) {
	if id == "" {
		return c.cfg.Voices[0], nil
	}
	name, ok := strings.CutPrefix(id, c.cfg.Name+"-")
	if ok {
		for _, v := range c.cfg.Voices {
			if v == name {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %q", tts.ErrUnknownVoice, id)
}

type speechRequest struct {
	Model          string  `json:"model"`
	Voice          string  `json:"voice"`
	Input          string  `json:"input"`
	ResponseFormat string  `json:"response_format"`
	Speed          float64 `json:"speed,omitempty"`
}

// Synthesize implements tts.Synthesizer.
func (c *Client) Synthesize(ctx context.Context, req tts.Request, emit func(tts.Chunk) error) error {
	text, err := tts.NormalizeText(req.Text)
	if err != nil {
		return err
	}
	if req.Speed != 0 && (req.Speed < tts.MinSpeed || req.Speed > tts.MaxSpeed) {
		return fmt.Errorf("%w: speed %v", tts.ErrInvalidOption, req.Speed)
	}
	if req.Pitch != 0 {
		return fmt.Errorf("%w: %s voices have no pitch control", tts.ErrInvalidOption, c.cfg.Name)
	}
	voice, err := c.voice(req.VoiceID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(speechRequest{Model: c.cfg.Model, Voice: voice, Input: text, ResponseFormat: "pcm", Speed: req.Speed})
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/audio/speech", bytes.NewReader(body))
	if err != nil {
		return provider.Errorf(c.cfg.Name, c.secrets(), "bad base URL: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/octet-stream")
	if c.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return provider.FromTransport(ctx, c.cfg.Name, err, c.secrets()...)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		perr := provider.FromResponse(c.cfg.Name, resp, c.secrets()...)
		c.cfg.Logger.Debug("tts_upstream_error", "provider", c.cfg.Name, "status", perr.Status)
		return perr
	}
	return streamBody(ctx, c.cfg.Name, c.secrets(), resp, SampleRate, emit)
}

// streamBody emits the PCM body, telling emit's errors (returned as they
// are) apart from read errors (the provider's or ctx's).
func streamBody(ctx context.Context, name string, secrets []string, resp *http.Response, rate int, emit func(tts.Chunk) error) error {
	var emitErr error
	_, err := pcmstream.Stream(resp.Body, rate, func(ch tts.Chunk) error {
		emitErr = emit(ch)
		return emitErr
	})
	if err == nil || (emitErr != nil && err == emitErr) {
		return err
	}
	return provider.FromTransport(ctx, name, err, secrets...)
}

func (c *Client) secrets() []string { return []string{c.cfg.APIKey} }
