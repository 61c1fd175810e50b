package anthropic

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
	DefaultBaseURL   = "https://api.anthropic.com"
	DefaultModel     = "claude-haiku-4-5"
	DefaultMaxTokens = 1024 // the API requires max_tokens; a spoken turn is short
	APIVersion       = "2023-06-01"
	Name             = "anthropic"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API root without the version path.
	BaseURL string
	APIKey  string
	// Model is used when a Request names none.
	Model string
	// MaxTokens is used when a Request sets none.
	MaxTokens int
	// HTTPClient defaults to provider.NewHTTPClient().
	HTTPClient *http.Client
	// Logger receives debug logs; nil logs nothing.
	Logger *slog.Logger
}

// Client is an llm.Model over the Messages API. It is safe for concurrent
// use.
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
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
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
	body, err := encodeRequest(req, model, c.cfg.MaxTokens)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return provider.Errorf(Name, c.secrets(), "bad base URL: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	hreq.Header.Set("x-api-key", c.cfg.APIKey)
	hreq.Header.Set("anthropic-version", APIVersion)
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return provider.FromTransport(ctx, Name, err, c.secrets()...)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		perr := provider.FromResponse(Name, resp, c.secrets()...)
		c.cfg.Logger.Debug("llm_upstream_error", "provider", Name, "status", perr.Status)
		return perr
	}
	return c.read(ctx, resp.Body, emit)
}

func (c *Client) read(ctx context.Context, body io.Reader, emit func(llm.Event) error) error {
	r := sse.NewReader(body, 0)
	var d decoder
	var emitErr error // set when the caller's emit failed: returned as is
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
			return provider.Errorf(Name, nil, "stream ended before message_stop")
		}
		if err != nil {
			if errors.Is(err, sse.ErrLineTooLong) {
				return provider.Errorf(Name, nil, "%v", err)
			}
			return provider.FromTransport(ctx, Name, err, c.secrets()...)
		}
		if err := d.event(ev.Data, wrapped); err != nil {
			if emitErr != nil && err == emitErr {
				return err
			}
			return provider.Errorf(Name, c.secrets(), "%v", err)
		}
		if d.done {
			return nil
		}
	}
}

func (c *Client) secrets() []string { return []string{c.cfg.APIKey} }
