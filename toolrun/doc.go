// Package toolrun defines what an agent's tool is (Spec) and runs it.
//
// Webhook tools are HTTP requests to the customer's endpoint; MCP tools are
// tools/call requests to a Model Context Protocol server over streamable
// HTTP, or the legacy HTTP+SSE transport for servers that only speak that
// (MCP specification 2025-06-18, "Transports"). Both go through the egress
// guard (package egress): private, loopback and link-local addresses are
// refused unless the operator allows them, at every redirect and for every
// address a name resolves to.
//
// Arguments are checked against the tool's JSON Schema before anything is
// sent, so a model's malformed call costs no request and comes back with
// every violation listed. Results are capped in size and time: a tool that
// answers slowly or hugely becomes an error for the conversation, never a
// stalled turn.
//
// The built-in tool types (end_call, transfer_call, knowledge_search) are
// defined here but run by package agentrt, which knows the conversation
// they act on.
package toolrun
