package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned when a connection would reach an address
// the guard refuses. It is wrapped with the address (and host) refused.
var ErrForbiddenAddress = errors.New("egress: forbidden address")

// ErrScheme is returned for URLs whose scheme is not http or https.
var ErrScheme = errors.New("egress: only http and https URLs are allowed")

// ErrTooManyRedirects is returned when a request is redirected more than
// MaxRedirects times.
var ErrTooManyRedirects = errors.New("egress: too many redirects")

// ErrInvalidAllowList is returned by ParseAllowList, wrapped with every bad
// entry.
var ErrInvalidAllowList = errors.New("egress: invalid allow-list")

// MaxRedirects is how many redirects a guarded client follows.
const MaxRedirects = 5

// ParseAllowList parses a comma-separated list of CIDRs (or bare addresses,
// taken as single-host prefixes), as in SWITCHBOARD_EGRESS_ALLOW. Empty
// entries are ignored. Every bad entry is reported at once.
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", f))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: not a CIDR: %s", ErrInvalidAllowList, strings.Join(bad, ", "))
	}
	return out, nil
}

// Guard decides which addresses outbound requests may reach. Its zero value
// refuses every special-purpose address; it is immutable and safe for
// concurrent use.
type Guard struct {
	allow []netip.Prefix
}

// New returns a guard that also permits the addresses inside allow.
func New(allow []netip.Prefix) *Guard {
	g := &Guard{allow: make([]netip.Prefix, 0, len(allow))}
	for _, p := range allow {
		// An allow-list entry written as ::ffff:10.0.0.0/104 means the IPv4
		// range; addresses are compared unmapped.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g
}

var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	broadcast   = netip.MustParseAddr("255.255.255.255")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	siteLocal   = netip.MustParsePrefix("fec0::/10") // deprecated (RFC 3879) but still routed by some stacks
)

// Allowed reports whether a connection to addr may be made.
func (g *Guard) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.allow {
		if p.Contains(addr) {
			return true
		}
	}
	return !forbidden(addr)
}

func forbidden(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	if a.Is6() && nat64.Contains(a) {
		// A NAT64 gateway would forward to the embedded IPv4 address.
		b := a.As16()
		return forbidden(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() ||
		cgnat.Contains(a) || thisNetwork.Contains(a) || a == broadcast || siteLocal.Contains(a)
}

// Check returns nil when addr may be reached, else ErrForbiddenAddress
// wrapped with the address.
func (g *Guard) Check(addr netip.Addr) error {
	if g.Allowed(addr) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrForbiddenAddress, addr.Unmap())
}

// Control is a net.Dialer Control hook. It runs after the name has been
// resolved and before the socket connects, so it sees the address actually
// dialed.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Not an IP:port: refuse rather than guess what would be dialed.
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	return g.Check(ap.Addr())
}

// Dialer returns a dialer whose every connection passes the guard.
func (g *Guard) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.Control}
}

// Options tunes a guarded client.
type Options struct {
	// Timeout bounds a whole request, redirects and body included.
	Timeout time.Duration
	// DialTimeout bounds one connection attempt.
	DialTimeout time.Duration
}

// Client returns an HTTP client for user-given URLs: it dials only through
// the guard, never through a proxy (a proxy would connect on our behalf,
// out of the guard's sight), accepts only http and https, and follows at
// most MaxRedirects redirects.
func (g *Guard) Client(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	d := g.Dialer(o.DialTimeout)
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil && errors.Is(err, ErrForbiddenAddress) {
				// Name the host as the user wrote it, not only the IP.
				return nil, fmt.Errorf("egress: dial %s: %w", addr, err)
			}
			return c, err
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: o.Timeout,
	}
	return &http.Client{
		Transport: schemeGuard{tr},
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, MaxRedirects)
			}
			return CheckURL(req.URL)
		},
	}
}

// CheckURL refuses URLs that a guarded client must not fetch by their form
// alone: schemes other than http and https, and URLs without a host.
func CheckURL(u *url.URL) error {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ErrScheme
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w: URL has no host", ErrForbiddenAddress)
	}
	return nil
}

// schemeGuard checks the URL of every request before the transport sees
// it, so a client built here refuses file:, ftp: or a host-less URL even
// when a caller forgets to call CheckURL.
type schemeGuard struct{ next http.RoundTripper }

func (s schemeGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := CheckURL(r.URL); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	return s.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport underneath.
func (s schemeGuard) CloseIdleConnections() {
	if c, ok := s.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
