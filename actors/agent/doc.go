// Package agent holds the agent actors. The manager ("agents") creates and
// lists agents and activates one actor per agent on demand; that actor owns
// the agent's state, persists every change before answering, and asks the
// manager to passivate it after a period without messages.
package agent
