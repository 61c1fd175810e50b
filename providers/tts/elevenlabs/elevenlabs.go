package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/provider/pcmstream"
	"github.com/switchboard-voice/switchboard/providers/tts"
)

// Defaults for Config fields left empty.
const (
	DefaultBaseURL    = "https://api.elevenlabs.io"
	DefaultModel      = "eleven_flash_v2_5"
	DefaultSampleRate = 16000
	Name              = "elevenlabs"
	// VoicePrefix starts every voice ID this engine serves.
	VoicePrefix = Name + "-"
)

// The speed range ElevenLabs accepts in voice_settings.
const minSpeed, maxSpeed = 0.7, 1.2

// Config configures a Client.
type Config struct {
	BaseURL string
	APIKey  string
	ModelID string
	// SampleRate selects output_format pcm_<rate>: 8000, 16000, 22050,
	// 24000 or 44100 (the last needs a paid plan upstream).
	SampleRate int
	// Voices are offered by Voices(); their IDs are VoicePrefix plus the
	// ElevenLabs voice_id. The first is the default voice.
	Voices []tts.Voice
	// Stability and SimilarityBoost, when non-zero, are sent as
	// voice_settings; otherwise the voice's stored settings apply.
	Stability, SimilarityBoost float64
	// HTTPClient defaults to provider.NewHTTPClient().
	HTTPClient *http.Client
	// Logger receives debug logs; nil logs nothing.
	Logger *slog.Logger
}

// Client is a tts.Synthesizer over the ElevenLabs streaming endpoint. It is
// safe for concurrent use.
type Client struct {
	cfg Config
}

var _ tts.Synthesizer = (*Client)(nil)

// New returns a Client, filling defaults into cfg. It refuses a sample rate
// ElevenLabs has no PCM format for.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.ModelID == "" {
		cfg.ModelID = DefaultModel
	}
	switch cfg.SampleRate {
	case 0:
		cfg.SampleRate = DefaultSampleRate
	case 8000, 16000, 22050, 24000, 44100:
	default:
		return nil, fmt.Errorf("%w: elevenlabs has no pcm_%d format", tts.ErrInvalidOption, cfg.SampleRate)
	}
	for i, v := range cfg.Voices {
		if !strings.HasPrefix(v.ID, VoicePrefix) || v.ID == VoicePrefix {
			return nil, fmt.Errorf("%w: voice ID %q does not start with %q", tts.ErrUnknownVoice, v.ID, VoicePrefix)
		}
		cfg.Voices[i].Provider = Name
		cfg.Voices[i].SampleRate = cfg.SampleRate
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = provider.NewHTTPClient()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}, nil
}

// Voices implements tts.Synthesizer.
func (c *Client) Voices() []tts.Voice {
	return append([]tts.Voice(nil), c.cfg.Voices...)
}

type voiceSettings struct {
	Stability       float64 `json:"stability,omitempty"`
	SimilarityBoost float64 `json:"similarity_boost,omitempty"`
	Speed           float64 `json:"speed,omitempty"`
}

type speechRequest struct {
	Text          string         `json:"text"`
	ModelID       string         `json:"model_id"`
	VoiceSettings *voiceSettings `json:"voice_settings,omitempty"`
}

// Synthesize implements tts.Synthesizer.
func (c *Client) Synthesize(ctx context.Context, req tts.Request, emit func(tts.Chunk) error) error {
	text, err := tts.NormalizeText(req.Text)
	if err != nil {
		return err
	}
	if req.Pitch != 0 {
		return fmt.Errorf("%w: elevenlabs voices have no pitch control", tts.ErrInvalidOption)
	}
	if req.Speed != 0 && (req.Speed < minSpeed || req.Speed > maxSpeed) {
		return fmt.Errorf("%w: elevenlabs speed must be within [%v, %v], got %v", tts.ErrInvalidOption, minSpeed, maxSpeed, req.Speed)
	}
	id := req.VoiceID
	if id == "" {
		if len(c.cfg.Voices) == 0 {
			return fmt.Errorf("%w: no default elevenlabs voice configured", tts.ErrUnknownVoice)
		}
		id = c.cfg.Voices[0].ID
	}
	voiceID, ok := strings.CutPrefix(id, VoicePrefix)
	if !ok || voiceID == "" {
		return fmt.Errorf("%w: %q", tts.ErrUnknownVoice, id)
	}
	sr := speechRequest{Text: text, ModelID: c.cfg.ModelID}
	if c.cfg.Stability != 0 || c.cfg.SimilarityBoost != 0 || (req.Speed != 0 && req.Speed != 1) {
		sr.VoiceSettings = &voiceSettings{Stability: c.cfg.Stability, SimilarityBoost: c.cfg.SimilarityBoost, Speed: req.Speed}
	}
	body, err := json.Marshal(sr)
	if err != nil {
		return err
	}
	u := c.cfg.BaseURL + "/v1/text-to-speech/" + url.PathEscape(voiceID) + "/stream?output_format=pcm_" + strconv.Itoa(c.cfg.SampleRate)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return provider.Errorf(Name, c.secrets(), "bad base URL: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "audio/pcm")
	hreq.Header.Set("xi-api-key", c.cfg.APIKey)
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return provider.FromTransport(ctx, Name, err, c.secrets()...)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		perr := provider.FromResponse(Name, resp, c.secrets()...)
		c.cfg.Logger.Debug("tts_upstream_error", "provider", Name, "status", perr.Status)
		return perr
	}
	var emitErr error
	_, err = pcmstream.Stream(resp.Body, c.cfg.SampleRate, func(ch tts.Chunk) error {
		emitErr = emit(ch)
		return emitErr
	})
	if err == nil || (emitErr != nil && err == emitErr) {
		return err
	}
	return provider.FromTransport(ctx, Name, err, c.secrets()...)
}

func (c *Client) secrets() []string { return []string{c.cfg.APIKey} }
