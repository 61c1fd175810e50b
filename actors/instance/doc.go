// Package instance holds the instances actor. An instance is a deployment
// of an agent with its own phone number, variables and overrides; inbound
// calls to that number reach it.
//
// Instances are stored under o/<org>/inst/<agentId>/<instanceId>, with two
// global indexes written in the same batch as the instance: instnum/<E.164>
// → <org>/<agentId>/<instanceId>, so that a called number reaches exactly
// one instance of one organization, and instorg/<instanceId> →
// <org>/<agentId>, for a webhook URL that names only the instance.
//
// A phone number is unique across all organizations, and the store has no
// conditional write, so every write goes through the one manager actor,
// which checks the number index and writes in one step. Instances change
// rarely and are read once or twice per call, so the manager reads the
// store directly rather than keeping per-agent actors.
//
// The actor does not check that the agent exists or belongs to the
// organization: the caller asks the agent actors first.
package instance
