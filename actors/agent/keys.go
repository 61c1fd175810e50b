package agent

// Storage key layout. Agents of one organization share a prefix, and IDs are
// time-ordered, so a prefix scan lists them in creation order.

func agentKey(orgID, id string) string { return agentPrefix(orgID) + id }
func agentPrefix(orgID string) string  { return "o/" + orgID + "/agent/" }

func collectionKey(orgID, id string) string { return "o/" + orgID + "/collection/" + id }

func documentKey(orgID, collectionID, id string) string {
	return "o/" + orgID + "/doc/" + collectionID + "/" + id
}

// locatorKey maps an agent ID to its organization, for entry points that
// know only the agent (a Twilio webhook URL carries just agentId).
func locatorKey(id string) string { return "agentorg/" + id }
