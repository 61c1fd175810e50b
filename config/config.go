// Package config is Switchboard's one typed configuration: defaults, then an
// optional YAML file (strict: unknown keys are errors), then SWITCHBOARD_*
// environment variables, then command-line flags. Every problem found is
// reported at once, so an operator fixes a file in one pass.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/switchboard-voice/switchboard/egress"
	"github.com/switchboard-voice/switchboard/resource"
)

// Config is the server's configuration.
type Config struct {
	// Addr is the HTTP listen address, HOST:PORT.
	Addr string `json:"addr"`
	// DataDir holds the embedded store and admin.key.
	DataDir string `json:"data"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"logLevel"`
	// LogFormat is text or json.
	LogFormat string `json:"logFormat"`
	// ShutdownTimeout bounds the drain after the first signal.
	ShutdownTimeout Duration `json:"shutdownTimeout"`
	// PublicURL is the base URL callers and Twilio reach this server at
	// (behind proxies); empty means "from the request".
	PublicURL string    `json:"publicUrl"`
	HTTP      HTTP      `json:"http"`
	RateLimit RateLimit `json:"rateLimit"`
	Agents    Agents    `json:"agents"`
	Twilio    Twilio    `json:"twilio"`
	Voice     Voice     `json:"voice"`
	Providers Providers `json:"providers"`
	Sim       Sim       `json:"sim"`
	Egress    Egress    `json:"egress"`
}

// Egress guards requests to user-given URLs (webhook tools, MCP servers,
// URL ingest): private, loopback and link-local addresses are refused
// unless listed here.
type Egress struct {
	// Allow lists CIDRs that may be reached anyway, such as 10.1.0.0/16.
	Allow []string `json:"allow"`
}

// Providers holds cloud provider credentials; an engine joins when its key
// is set. Keys are secrets: they are never logged or returned.
type Providers struct {
	OpenAI     Provider `json:"openai"`
	Anthropic  Provider `json:"anthropic"`
	Deepgram   Provider `json:"deepgram"`
	ElevenLabs Provider `json:"elevenlabs"`
}

// Provider is one cloud provider's settings.
type Provider struct {
	APIKey  string `json:"apiKey"`
	BaseURL string `json:"baseUrl"`
	Model   string `json:"model"`
}

// Sim sets the latencies of the "sim" provider set that load tests use.
type Sim struct {
	TTSFirstChunk   Duration `json:"ttsFirstChunk"`
	STTFinalLatency Duration `json:"sttFinalLatency"`
	LLMFirstToken   Duration `json:"llmFirstToken"`
	// Script is what every simulated recogniser "hears", in turn.
	Script []string `json:"script"`
	// Reply is what the simulated model answers.
	Reply string `json:"reply"`
}

// Twilio configures the Twilio integration.
type Twilio struct {
	// AuthToken validates X-Twilio-Signature on webhooks when set.
	AuthToken string `json:"authToken"`
}

// Voice tunes live sessions.
type Voice struct {
	MaxCallDuration Duration `json:"maxCallDuration"`
	SilenceTimeout  Duration `json:"silenceTimeout"`
	// Record keeps stereo recordings of phone calls.
	Record bool `json:"record"`
}

// HTTP tunes the API server.
type HTTP struct {
	MaxBodyBytes   int      `json:"maxBodyBytes"`
	ReadTimeout    Duration `json:"readTimeout"`
	WriteTimeout   Duration `json:"writeTimeout"`
	IdleTimeout    Duration `json:"idleTimeout"`
	RequestTimeout Duration `json:"requestTimeout"`
}

// RateLimit is the per-key token bucket. Zero requestsPerSecond disables it.
type RateLimit struct {
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	Burst             int     `json:"burst"`
}

// Agents tunes the agent actors.
type Agents struct {
	// IdleTimeout passivates an agent actor after this long without use.
	IdleTimeout Duration `json:"idleTimeout"`
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		Addr:            ":8080",
		DataDir:         "./data",
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: Duration(15 * time.Second),
		HTTP: HTTP{
			MaxBodyBytes:   32 << 20,
			ReadTimeout:    Duration(30 * time.Second),
			WriteTimeout:   Duration(60 * time.Second),
			IdleTimeout:    Duration(120 * time.Second),
			RequestTimeout: Duration(10 * time.Second),
		},
		RateLimit: RateLimit{RequestsPerSecond: 50, Burst: 100},
		Agents:    Agents{IdleTimeout: Duration(5 * time.Minute)},
		Voice:     Voice{MaxCallDuration: Duration(30 * time.Minute), SilenceTimeout: Duration(10 * time.Second), Record: true},
		Sim: Sim{
			TTSFirstChunk: Duration(20 * time.Millisecond), STTFinalLatency: Duration(30 * time.Millisecond),
			LLMFirstToken: Duration(50 * time.Millisecond),
			Script:        []string{"hello I would like to check my appointment", "thank you goodbye"},
			Reply:         "Sure, I can help with that. Your appointment is on Monday at ten.",
		},
	}
}

// Duration is a time.Duration written as "300ms", "5s" or "2m".
type Duration time.Duration

// UnmarshalJSON parses a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// LoadFile applies a YAML file onto c. Keys are the JSON names above.
func (c *Config) LoadFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return loadStrict(path, raw, c)
}

// loadStrict decodes YAML onto dst (a pointer to a struct with JSON tags).
func loadStrict(name string, raw []byte, dst any) error {
	var tree any
	if err := yaml.Unmarshal(raw, &tree); err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	if tree == nil {
		return nil // an empty file sets nothing
	}
	// Through JSON, the strict decoder reports every unknown key and every
	// wrongly typed value together.
	asJSON, err := json.Marshal(tree)
	if err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	if p := resource.Decode(asJSON, dst); p != nil {
		return problemErrors(name, p)
	}
	return nil
}

// envVars maps SWITCHBOARD_* variables to the fields they set.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"SWITCHBOARD_ADDR", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"SWITCHBOARD_DATA", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"SWITCHBOARD_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"SWITCHBOARD_LOG_FORMAT", func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{"SWITCHBOARD_PUBLIC_URL", func(c *Config, v string) error { c.PublicURL = v; return nil }},
	{"SWITCHBOARD_TWILIO_AUTH_TOKEN", func(c *Config, v string) error { c.Twilio.AuthToken = v; return nil }},
	{"SWITCHBOARD_OPENAI_API_KEY", func(c *Config, v string) error { c.Providers.OpenAI.APIKey = v; return nil }},
	{"SWITCHBOARD_OPENAI_BASE_URL", func(c *Config, v string) error { c.Providers.OpenAI.BaseURL = v; return nil }},
	{"SWITCHBOARD_ANTHROPIC_API_KEY", func(c *Config, v string) error { c.Providers.Anthropic.APIKey = v; return nil }},
	{"SWITCHBOARD_DEEPGRAM_API_KEY", func(c *Config, v string) error { c.Providers.Deepgram.APIKey = v; return nil }},
	{"SWITCHBOARD_ELEVENLABS_API_KEY", func(c *Config, v string) error { c.Providers.ElevenLabs.APIKey = v; return nil }},
	{"SWITCHBOARD_EGRESS_ALLOW", func(c *Config, v string) error {
		c.Egress.Allow = nil
		for _, cidr := range strings.Split(v, ",") {
			if cidr = strings.TrimSpace(cidr); cidr != "" {
				c.Egress.Allow = append(c.Egress.Allow, cidr)
			}
		}
		return nil
	}},
	{"SWITCHBOARD_RATE_LIMIT_RPS", func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		c.RateLimit.RequestsPerSecond = f
		return err
	}},
	{"SWITCHBOARD_RATE_LIMIT_BURST", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.RateLimit.Burst = n
		return err
	}},
}

// ApplyEnv applies the SWITCHBOARD_* variables that lookup finds.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, e := range envVars {
		if v, ok := lookup(e.name); ok {
			if err := e.set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("config: %s: invalid value %q", e.name, v))
			}
		}
	}
	return errors.Join(errs...)
}

// Validate checks every value and reports all problems together.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "must be HOST:PORT (%v)", err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("addr", "port must be a number from 0 to 65535")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			bad("publicUrl", "must be an http(s) URL with a host and no query, such as https://voice.example.com")
		}
	}
	if _, err := egress.ParseAllowList(strings.Join(c.Egress.Allow, ",")); err != nil {
		bad("egress.allow", "%v", err)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data", "must name a directory")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("logLevel", "must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("logFormat", "must be text or json")
	}
	positive := map[string]Duration{
		"shutdownTimeout": c.ShutdownTimeout, "http.readTimeout": c.HTTP.ReadTimeout,
		"http.writeTimeout": c.HTTP.WriteTimeout, "http.idleTimeout": c.HTTP.IdleTimeout,
		"http.requestTimeout": c.HTTP.RequestTimeout, "agents.idleTimeout": c.Agents.IdleTimeout,
		"voice.maxCallDuration": c.Voice.MaxCallDuration, "voice.silenceTimeout": c.Voice.SilenceTimeout,
	}
	for _, name := range []string{"shutdownTimeout", "http.readTimeout", "http.writeTimeout", "http.idleTimeout",
		"http.requestTimeout", "agents.idleTimeout", "voice.maxCallDuration", "voice.silenceTimeout"} {
		if positive[name] <= 0 {
			bad(name, "must be a positive duration such as 10s")
		}
	}
	if c.HTTP.MaxBodyBytes < 1<<20 || c.HTTP.MaxBodyBytes > 1<<30 {
		bad("http.maxBodyBytes", "must be between 1 MiB and 1 GiB")
	}
	if c.RateLimit.RequestsPerSecond < 0 {
		bad("rateLimit.requestsPerSecond", "must not be negative")
	}
	if c.RateLimit.RequestsPerSecond > 0 && c.RateLimit.Burst < 1 {
		bad("rateLimit.burst", "must be at least 1 when rate limiting is on")
	}
	return errors.Join(errs...)
}

func problemErrors(name string, p *resource.Problem) error {
	errs := make([]error, 0, len(p.Details))
	for _, d := range p.Details {
		errs = append(errs, fmt.Errorf("config: %s: %s: %s", name, d.Field, d.Message))
	}
	return errors.Join(errs...)
}
