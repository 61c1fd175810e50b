// Package tool holds the actors that own agents' tool definitions: one
// actor per agent, activated on demand and passivated when idle, holding
// that agent's tools in memory (at most MaxPerAgent) so that every chat or
// voice turn reads them without touching storage. Tools are stored under
// o/<org>/tool/<agentId>/<toolId>.
//
// The actors check what a tool may be (toolrun.Spec.Validate) and that
// names are unique within an agent, since models call tools by name. They
// do not check that the agent exists or belongs to the organization: the
// caller asks the agent actors first.
package tool
