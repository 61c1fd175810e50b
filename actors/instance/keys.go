package instance

import "strings"

// Storage key layout: an agent's instances share a prefix and IDs are
// time-ordered, so a prefix scan lists them in creation order.

func instanceKey(orgID, agentID, id string) string { return instancePrefix(orgID, agentID) + id }
func instancePrefix(orgID, agentID string) string  { return "o/" + orgID + "/inst/" + agentID + "/" }

// numberKey maps a phone number to the one instance it reaches.
func numberKey(number string) string { return "instnum/" + number }

// locatorKey maps an instance ID to its organization and agent.
func locatorKey(id string) string { return "instorg/" + id }

// owner is the value of a number index entry.
func owner(orgID, agentID, id string) string { return orgID + "/" + agentID + "/" + id }

// parseOwner splits an index value of the form org/agent[/instance].
func parseOwner(v string) (orgID, agentID, id string, ok bool) {
	parts := strings.Split(v, "/")
	switch len(parts) {
	case 2:
		return parts[0], parts[1], "", parts[0] != "" && parts[1] != ""
	case 3:
		return parts[0], parts[1], parts[2], parts[0] != "" && parts[1] != "" && parts[2] != ""
	}
	return "", "", "", false
}
