// Package resource defines the shapes of Switchboard's public resources
// (agents, keys, organizations, collections), their typed IDs, validation,
// and Problem: the error value that crosses actor boundaries as data and
// that the transport renders as {"code","message","requestId"}.
//
// Both actors and transport import it; it imports neither.
package resource
