package instance

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard/resource"
)

// Statuses of an instance. A paused instance's number is kept, but its
// calls are refused.
const (
	StatusActive = "active"
	StatusPaused = "paused"
)

// Limits on instance fields, the same as an agent's where they overlap.
const (
	maxNameLen     = 200
	maxPromptLen   = 32 << 10
	maxMessageLen  = 4 << 10
	maxVariables   = 100
	maxVariableLen = 4 << 10
	maxVoiceIDLen  = 200
)

// phoneRE is E.164: a plus, a non-zero country code digit, 7 to 15 digits.
var phoneRE = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

// ValidNumber reports whether s is an E.164 phone number.
func ValidNumber(s string) bool { return phoneRE.MatchString(s) }

// Instance is a deployment of an agent.
type Instance struct {
	ID             string `json:"id"`
	AgentID        string `json:"agentId"`
	OrganizationID string `json:"-"`
	Spec
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Spec is the client-settable part of an Instance; it satisfies
// resource.Validator.
type Spec struct {
	Name        string            `json:"name"`
	PhoneNumber string            `json:"phoneNumber"`
	Variables   map[string]string `json:"variables"`
	Overrides   Overrides         `json:"overrides"`
	Status      string            `json:"status"`
}

// Overrides replace parts of the agent for this instance's calls. A nil
// field keeps the agent's value; an empty FirstMessage makes the agent wait
// for the caller to speak first.
type Overrides struct {
	FirstMessage *string               `json:"firstMessage"`
	Voice        *resource.VoiceConfig `json:"voice"`
	Prompt       *string               `json:"prompt"`
}

// Validate checks every field, reports all problems at once and fills
// defaults (status active, empty variables).
func (s *Spec) Validate() *resource.Problem {
	var errs []resource.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, resource.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		bad("name", "is required")
	case utf8.RuneCountInString(s.Name) > maxNameLen:
		bad("name", "must be at most %d characters", maxNameLen)
	}
	switch {
	case s.PhoneNumber == "":
		bad("phoneNumber", "is required")
	case !ValidNumber(s.PhoneNumber):
		bad("phoneNumber", "must be an E.164 number such as +14155550123")
	}
	switch s.Status {
	case "":
		s.Status = StatusActive
	case StatusActive, StatusPaused:
	default:
		bad("status", "must be one of %s, %s", StatusActive, StatusPaused)
	}
	if len(s.Variables) > maxVariables {
		bad("variables", "must have at most %d entries", maxVariables)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Variables)) {
		if k == "" || len(k) > 100 || len(s.Variables[k]) > maxVariableLen {
			bad("variables."+k, "names must be 1–100 bytes and values at most %d bytes", maxVariableLen)
		}
	}
	if s.Variables == nil {
		s.Variables = map[string]string{}
	}
	o := &s.Overrides
	if o.FirstMessage != nil && len(*o.FirstMessage) > maxMessageLen {
		bad("overrides.firstMessage", "must be at most %d bytes", maxMessageLen)
	}
	if o.Prompt != nil && len(*o.Prompt) > maxPromptLen {
		bad("overrides.prompt", "must be at most %d bytes", maxPromptLen)
	}
	if v := o.Voice; v != nil {
		if v.Provider == "" {
			v.Provider = "local"
		}
		if !slices.Contains(resource.VoiceProviders, v.Provider) {
			bad("overrides.voice.provider", "must be one of %s", strings.Join(resource.VoiceProviders, ", "))
		}
		if len(v.VoiceID) > maxVoiceIDLen {
			bad("overrides.voice.voiceId", "must be at most %d bytes", maxVoiceIDLen)
		}
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

// clone copies the parts a patch decodes into, so a failed update leaves
// the stored instance untouched.
func (s Spec) clone() Spec {
	s.Variables = maps.Clone(s.Variables)
	if p := s.Overrides.FirstMessage; p != nil {
		v := *p
		s.Overrides.FirstMessage = &v
	}
	if p := s.Overrides.Prompt; p != nil {
		v := *p
		s.Overrides.Prompt = &v
	}
	if p := s.Overrides.Voice; p != nil {
		v := *p
		s.Overrides.Voice = &v
	}
	return s
}

// Apply returns a copy of the agent as this instance's calls see it: the
// overrides replace the agent's fields, and the instance's variables are
// merged over the agent's. a is not modified.
func (in *Instance) Apply(a *resource.Agent) *resource.Agent {
	c := *a
	o := in.Overrides
	if o.FirstMessage != nil {
		c.FirstMessage = *o.FirstMessage
	}
	if o.Prompt != nil {
		c.Prompt = *o.Prompt
	}
	if o.Voice != nil {
		c.Voice = *o.Voice
	}
	if len(in.Variables) > 0 {
		vars := make(map[string]string, len(a.Variables)+len(in.Variables))
		maps.Copy(vars, a.Variables)
		maps.Copy(vars, in.Variables)
		c.Variables = vars
	}
	return &c
}

// Create adds an instance to an agent; Spec must be validated. A number
// already taken by any instance of any organization is a VALIDATION_ERROR
// on phoneNumber. Answer: *Instance.
type Create struct {
	OrgID, AgentID string
	Spec           Spec
}

// Get reads one instance. Answer: *Instance.
type Get struct{ OrgID, AgentID, ID string }

// Update merges a JSON patch onto an instance (fields present replace
// stored ones; overrides merge field by field, variables are replaced
// whole), validates and stores it. Answer: *Instance.
type Update struct {
	OrgID, AgentID, ID string
	Patch              []byte
}

// Delete removes an instance and releases its number. Answer: *Deleted.
type Delete struct{ OrgID, AgentID, ID string }

// Deleted confirms a Delete or a DeleteAll.
type Deleted struct{ ID string }

// List pages through an agent's instances in creation order. Answer:
// *ListResult.
type List struct {
	OrgID, AgentID string
	After          string
	Limit          int
}

// ListResult is one page of instances.
type ListResult struct {
	Items   []Instance
	Next    string
	HasMore bool
}

// DeleteAll removes every instance of an agent and releases their numbers
// (when the agent is deleted). Answer: *Deleted with the agent's ID.
type DeleteAll struct{ OrgID, AgentID string }

// Lookup finds an instance without knowing its organization, for the
// voice webhook: by ID when ID is set, else by the called Number. Answer:
// *Instance with OrganizationID set; NOT_FOUND when none matches.
type Lookup struct{ ID, Number string }
