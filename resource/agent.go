package resource

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Provider names accepted for each role. "local" is the embedded engine and
// the default; "sim" is the simulated set for load tests.
var (
	VoiceProviders = []string{"local", "openai", "elevenlabs", "sim"}
	LLMProviders   = []string{"local", "openai", "anthropic", "sim"}
	STTProviders   = []string{"local", "openai", "deepgram", "sim"}
)

// DefaultBackchannels are short acknowledgements that must not interrupt the
// agent while it speaks.
var DefaultBackchannels = []string{"uh-huh", "mm-hmm", "yeah", "yes", "okay", "ok", "right", "sure", "i see"}

// Agent is a conversational agent definition.
type Agent struct {
	ID             string `json:"id" api:"readonly"`
	OrganizationID string `json:"-"`
	AgentSpec
	CreatedAt time.Time `json:"createdAt" api:"readonly"`
	UpdatedAt time.Time `json:"updatedAt" api:"readonly"`
}

// AgentSpec is the client-settable part of an Agent.
type AgentSpec struct {
	Name         string            `json:"name"`
	Prompt       string            `json:"prompt"`
	FirstMessage string            `json:"firstMessage"`
	Language     string            `json:"language"`
	Voice        VoiceConfig       `json:"voice"`
	LLM          LLMConfig         `json:"llm"`
	STT          STTConfig         `json:"stt"`
	CollectionID string            `json:"collectionId"`
	Turn         TurnConfig        `json:"turn"`
	Variables    map[string]string `json:"variables"`
	Metadata     map[string]any    `json:"metadata"`
}

// VoiceConfig picks the agent's TTS voice.
type VoiceConfig struct {
	Provider string `json:"provider"`
	VoiceID  string `json:"voiceId"`
}

// LLMConfig picks the language model that plays the agent.
type LLMConfig struct {
	Provider    string  `json:"provider"`
	Model       string  `json:"model"`
	Temperature float64 `json:"temperature"`
}

// STTConfig picks the speech recogniser.
type STTConfig struct {
	Provider string `json:"provider"`
}

// TurnConfig tunes turn-taking.
type TurnConfig struct {
	// EndpointingMs is the silence after speech that ends the caller's turn.
	EndpointingMs int `json:"endpointingMs"`
	// InterruptionMinMs is how long caller speech must last to interrupt.
	InterruptionMinMs int `json:"interruptionMinMs"`
	// Backchannels are utterances that never interrupt.
	Backchannels []string `json:"backchannels"`
	// Uninterruptible makes every agent utterance play to the end.
	Uninterruptible bool `json:"uninterruptible"`
}

// Limits on agent fields; bodies are also capped by the transport.
const (
	maxNameLen      = 200
	maxPromptLen    = 32 << 10
	maxMessageLen   = 4 << 10
	maxVariables    = 100
	maxVariableLen  = 4 << 10
	maxMetadataJSON = 16 << 10
)

// DefaultAgentSpec is what a new agent starts from before the request body
// is decoded onto it.
func DefaultAgentSpec() AgentSpec {
	return AgentSpec{
		Language: "en-US",
		Voice:    VoiceConfig{Provider: "local", VoiceID: "flite-kal16"},
		LLM:      LLMConfig{Provider: "local", Temperature: 0.7},
		STT:      STTConfig{Provider: "local"},
		Turn: TurnConfig{
			EndpointingMs:     300,
			InterruptionMinMs: 250,
			Backchannels:      slices.Clone(DefaultBackchannels),
		},
	}
}

// Validate checks every field and reports all problems at once.
func (s *AgentSpec) Validate() *Problem {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		bad("name", "is required")
	case utf8.RuneCountInString(s.Name) > maxNameLen:
		bad("name", "must be at most %d characters", maxNameLen)
	}
	if len(s.Prompt) > maxPromptLen {
		bad("prompt", "must be at most %d bytes", maxPromptLen)
	}
	if len(s.FirstMessage) > maxMessageLen {
		bad("firstMessage", "must be at most %d bytes", maxMessageLen)
	}
	if s.Language == "" {
		s.Language = "en-US"
	} else if !validLanguage(s.Language) {
		bad("language", "must be a BCP 47 tag such as en-US")
	}
	checkProvider := func(field string, value *string, allowed []string) {
		if *value == "" {
			*value = "local"
		}
		if !slices.Contains(allowed, *value) {
			bad(field, "must be one of %s", strings.Join(allowed, ", "))
		}
	}
	checkProvider("voice.provider", &s.Voice.Provider, VoiceProviders)
	checkProvider("llm.provider", &s.LLM.Provider, LLMProviders)
	checkProvider("stt.provider", &s.STT.Provider, STTProviders)
	if s.LLM.Temperature < 0 || s.LLM.Temperature > 2 {
		bad("llm.temperature", "must be between 0 and 2")
	}
	if s.CollectionID != "" && !ValidID(PrefixCollection, s.CollectionID) {
		bad("collectionId", "must be a collection ID (col_…)")
	}
	if s.Turn.EndpointingMs < 0 || s.Turn.EndpointingMs > 10000 {
		bad("turn.endpointingMs", "must be between 0 and 10000")
	}
	if s.Turn.InterruptionMinMs < 0 || s.Turn.InterruptionMinMs > 5000 {
		bad("turn.interruptionMinMs", "must be between 0 and 5000")
	}
	if len(s.Turn.Backchannels) > 50 {
		bad("turn.backchannels", "must have at most 50 entries")
	}
	if len(s.Variables) > maxVariables {
		bad("variables", "must have at most %d entries", maxVariables)
	}
	for k, v := range s.Variables {
		if k == "" || len(k) > 100 || len(v) > maxVariableLen {
			bad("variables."+k, "names must be 1–100 bytes and values at most %d bytes", maxVariableLen)
		}
	}
	if s.Variables == nil {
		s.Variables = map[string]string{}
	}
	if s.Metadata == nil {
		s.Metadata = map[string]any{}
	} else {
		if b, err := json.Marshal(s.Metadata); err != nil || len(b) > maxMetadataJSON {
			bad("metadata", "must encode to at most %d bytes of JSON", maxMetadataJSON)
		}
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// validLanguage accepts simple BCP 47 tags: a 2–3 letter language and
// optional alphanumeric subtags.
func validLanguage(tag string) bool {
	parts := strings.Split(tag, "-")
	if len(parts[0]) < 2 || len(parts[0]) > 3 || len(parts) > 4 {
		return false
	}
	for i, p := range parts {
		if p == "" || len(p) > 8 {
			return false
		}
		for _, c := range p {
			isLetter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !isLetter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}
