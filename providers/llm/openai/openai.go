package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/provider/sse"
)

// Defaults for Config fields left empty.
const (
	DefaultBaseURL = "https://api.openai.com/v1"
	DefaultModel   = "gpt-4o-mini"
	DefaultName    = "openai"
)

// Config configures a Client.
type Config struct {
	// BaseURL includes the API version path, as OpenAI's SDKs take it
	// ("https://api.openai.com/v1", "http://localhost:8000/v1").
	BaseURL string
	// APIKey is sent as a bearer token; empty sends no Authorization
	// header (local servers).
	APIKey string
	// Model is used when a Request names none.
	Model string
	// Name identifies the provider in errors ("openai", "groq", ...).
	Name string
	// HTTPClient defaults to provider.NewHTTPClient().
	HTTPClient *http.Client
	// Logger receives debug logs; nil logs nothing.
	Logger *slog.Logger
}

// Client is an llm.Model over the chat completions API. It is safe for
// concurrent use.
type Client struct {
	cfg Config
}

var _ llm.Model = (*Client)(nil)

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
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = provider.NewHTTPClient()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}
}

// Stream implements llm.Model.
func (c *Client) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if err := llm.ValidateRequest(req); err != nil {
		return err
	}
	model := req.Model
	if model == "" {
		model = c.cfg.Model
	}
	body, err := encodeRequest(req, model)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		// The URL is the only thing that can be wrong here; it holds no key.
		return provider.Errorf(c.cfg.Name, c.secrets(), "bad base URL: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
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
		c.cfg.Logger.Debug("llm_upstream_error", "provider", c.cfg.Name, "status", perr.Status)
		return perr
	}
	return c.read(ctx, resp.Body, emit)
}

func (c *Client) read(ctx context.Context, body io.Reader, emit func(llm.Event) error) error {
	r := sse.NewReader(body, 0)
	var d decoder
	// emitErr marks errors that came from the caller's emit, which are
	// returned as they are rather than blamed on the provider.
	var emitErr error
	wrapped := func(ev llm.Event) error {
		if err := emit(ev); err != nil {
			emitErr = err
			return err
		}
		return nil
	}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			if d.finish != "" { // some servers end without [DONE]
				if err := d.finishStream(wrapped); err != nil {
					return c.decodeErr(err, emitErr)
				}
				return nil
			}
			return provider.Errorf(c.cfg.Name, nil, "stream ended before the reply finished")
		}
		if err != nil {
			if errors.Is(err, sse.ErrLineTooLong) {
				return provider.Errorf(c.cfg.Name, nil, "%v", err)
			}
			return provider.FromTransport(ctx, c.cfg.Name, err, c.secrets()...)
		}
		if err := d.event(ev.Data, wrapped); err != nil {
			return c.decodeErr(err, emitErr)
		}
		if d.done {
			return nil
		}
	}
}

func (c *Client) decodeErr(err, emitErr error) error {
	if emitErr != nil && err == emitErr {
		return err
	}
	return provider.Errorf(c.cfg.Name, c.secrets(), "%v", err)
}

func (c *Client) secrets() []string { return []string{c.cfg.APIKey} }
