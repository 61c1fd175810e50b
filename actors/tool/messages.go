package tool

import (
	"time"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/toolrun"
)

// Tool is a tool of an agent, secrets included: show clients Masked().
type Tool struct {
	ID             string `json:"id"`
	AgentID        string `json:"agentId"`
	OrganizationID string `json:"-"`
	toolrun.Spec
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Masked is the tool as clients see it: header values replaced by
// toolrun.Mask.
func (t Tool) Masked() Tool {
	t.Spec = t.Spec.Masked()
	return t
}

// SpecInput is a request body that defines a tool; it satisfies
// resource.Validator.
type SpecInput toolrun.Spec

// Validate checks the definition (toolrun.Spec.Validate).
func (in *SpecInput) Validate() *resource.Problem {
	if errs := (*toolrun.Spec)(in).Validate(""); len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

// Create adds tools to an agent, all or none; Specs must be validated.
// Field errors name Field (such as "tools") with the index when there are
// several. Answer: *Created.
type Create struct {
	OrgID, AgentID string
	Specs          []toolrun.Spec
	// Field names the specs in errors: "" for a single tool, or the
	// request field holding a list.
	Field string
}

// Created answers Create, in the order of Specs.
type Created struct{ Items []Tool }

// Get reads one tool. Answer: *Tool.
type Get struct{ OrgID, AgentID, ID string }

// Update merges a JSON patch onto a tool (fields present replace stored
// ones; a header value equal to toolrun.Mask keeps the stored one),
// validates and stores it. Answer: *Tool.
type Update struct {
	OrgID, AgentID, ID string
	Patch              []byte
}

// Delete removes a tool. Answer: *Deleted.
type Delete struct{ OrgID, AgentID, ID string }

// Deleted confirms a Delete.
type Deleted struct{ ID string }

// List pages through an agent's tools in creation order. Answer:
// *ListResult.
type List struct {
	OrgID, AgentID string
	After          string
	Limit          int
}

// ListResult is one page of tools.
type ListResult struct {
	Items   []Tool
	Next    string
	HasMore bool
}

// All returns every tool of an agent, for building a turn. Answer: *AllResult.
type All struct{ OrgID, AgentID string }

// AllResult answers All.
type AllResult struct{ Items []Tool }

// DeleteAll removes every tool of an agent (when the agent is deleted).
// Answer: *Deleted with the agent's ID.
type DeleteAll struct{ OrgID, AgentID string }

// addressed is implemented by every message: each goes to the actor of
// one agent.
type addressed interface {
	target() (orgID, agentID string)
}

func (m *Create) target() (string, string)    { return m.OrgID, m.AgentID }
func (m *Get) target() (string, string)       { return m.OrgID, m.AgentID }
func (m *Update) target() (string, string)    { return m.OrgID, m.AgentID }
func (m *Delete) target() (string, string)    { return m.OrgID, m.AgentID }
func (m *List) target() (string, string)      { return m.OrgID, m.AgentID }
func (m *All) target() (string, string)       { return m.OrgID, m.AgentID }
func (m *DeleteAll) target() (string, string) { return m.OrgID, m.AgentID }

// passivate is an agent's tools actor asking to be stopped for idleness.
type passivate struct{ name string }
