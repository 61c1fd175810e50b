package tool

// Storage key layout: an agent's tools share a prefix and IDs are
// time-ordered, so a prefix scan lists them in creation order.

func toolKey(orgID, agentID, id string) string { return toolPrefix(orgID, agentID) + id }
func toolPrefix(orgID, agentID string) string  { return "o/" + orgID + "/tool/" + agentID + "/" }
