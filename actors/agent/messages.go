package agent

import "github.com/switchboard-voice/switchboard/resource"

// Create makes a new agent from spec. Answer: *resource.Agent.
type Create struct {
	OrgID string
	Spec  resource.AgentSpec
}

// Get reads one agent. Answer: *resource.Agent.
type Get struct{ OrgID, ID string }

// Update merges a JSON patch (the request body) onto the agent, validates and
// stores it. Answer: *resource.Agent.
type Update struct {
	OrgID, ID string
	Patch     []byte
}

// Delete removes an agent. Answer: *Deleted.
type Delete struct{ OrgID, ID string }

// Deleted confirms a Delete.
type Deleted struct{ ID string }

// List pages through an organization's agents in creation order.
// Answer: *ListResult.
type List struct {
	OrgID string
	After string
	Limit int
}

// ListResult is one page of agents.
type ListResult struct {
	Items   []resource.Agent
	Next    string
	HasMore bool
}

// Provision creates an agent together with its knowledge collection.
// Answer: *Provisioned.
type Provision struct {
	OrgID      string
	Agent      resource.AgentSpec
	Collection *resource.CollectionSpec
}

// Provisioned answers Provision.
type Provisioned struct {
	Agent      *resource.Agent
	Collection *resource.Collection
}

// addressed is implemented by the messages the manager forwards to the
// actor of one agent.
type addressed interface{ target() (orgID, id string) }

func (m *Get) target() (string, string)    { return m.OrgID, m.ID }
func (m *Update) target() (string, string) { return m.OrgID, m.ID }
func (m *Delete) target() (string, string) { return m.OrgID, m.ID }

// Locate finds the organization of an agent. Answer: *Located.
type Locate struct{ ID string }

// Located answers Locate.
type Located struct{ OrgID string }

// passivate is an agent actor's request to be stopped for idleness.
type passivate struct{ name string }
