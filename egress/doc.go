// Package egress guards outbound requests to user-given URLs (webhook tools,
// MCP servers, URL ingest) against server-side request forgery.
//
// The check runs in the dialer's Control hook, on the IP address the socket
// is about to connect to, after name resolution. Checking the URL's host name
// up front would not be enough: a public name can resolve to 127.0.0.1 or to
// the cloud metadata address, and a name can resolve differently between the
// check and the connect (DNS rebinding). Every connection, including each
// redirect hop and each address the dialer falls back to, passes the same
// check, so there is no window between checking and using an address.
//
// Refused unless allow-listed: loopback, private (RFC 1918, RFC 4193
// fc00::/7), link-local (169.254.0.0/16 — the metadata service
// 169.254.169.254 included — and fe80::/10), unspecified, "this network"
// 0.0.0.0/8, broadcast, multicast, CGNAT shared space 100.64.0.0/10
// (RFC 6598), and the IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96,
// RFC 6052) IPv6 forms of any of those. Operators allow internal targets
// with SWITCHBOARD_EGRESS_ALLOW, a comma-separated list of CIDRs.
package egress
