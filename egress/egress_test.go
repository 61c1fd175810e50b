package egress_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/egress"
)

func TestAllowedAddresses(t *testing.T) {
	g := egress.New(nil)
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"169.254.0.1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"255.255.255.255", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:100.64.0.1", false},
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 form of 169.254.169.254
		{"64:ff9b::808:808", true},    // NAT64 form of 8.8.8.8
		{"93.184.216.34", true},
		{"8.8.8.8", true},
		{"100.128.0.1", true}, // just past CGNAT space
		{"172.32.0.1", true},  // just past 172.16.0.0/12
		{"::ffff:8.8.8.8", true},
		{"2606:4700::1111", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if got := g.Allowed(a); got != tt.want {
				t.Fatalf("Allowed(%s) = %v, want %v", tt.addr, got, tt.want)
			}
			err := g.Check(a)
			if tt.want != (err == nil) || (!tt.want && !errors.Is(err, egress.ErrForbiddenAddress)) {
				t.Fatalf("Check(%s) = %v", tt.addr, err)
			}
		})
	}
}

func TestAllowListPermits(t *testing.T) {
	allow, err := egress.ParseAllowList(" 10.0.0.0/8, 127.0.0.1/32 ,, fd00::/8, 169.254.169.254")
	if err != nil {
		t.Fatal(err)
	}
	g := egress.New(allow)
	for _, a := range []string{"10.9.8.7", "127.0.0.1", "::ffff:127.0.0.1", "fd00::5", "169.254.169.254"} {
		if !g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s is allow-listed but refused", a)
		}
	}
	for _, a := range []string{"127.0.0.2", "192.168.0.1", "::1", "169.254.169.253"} {
		if g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s is outside the allow-list but permitted", a)
		}
	}
}

func TestParseAllowListReportsEveryBadEntry(t *testing.T) {
	_, err := egress.ParseAllowList("10.0.0.0/8,banana,1.2.3.4/33, ::1/129")
	if !errors.Is(err, egress.ErrInvalidAllowList) {
		t.Fatalf("err = %v, want ErrInvalidAllowList", err)
	}
	for _, bad := range []string{"banana", "1.2.3.4/33", "::1/129"} {
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("error %q does not name %q", err, bad)
		}
	}
	if strings.Contains(err.Error(), "10.0.0.0/8") {
		t.Errorf("error %q names a valid entry", err)
	}
}

func serve(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "fine") }

func get(c *http.Client, u string) (string, error) {
	res, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func TestClientRefusesForbiddenTargets(t *testing.T) {
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(ok))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := egress.New(nil).Client(egress.Options{})
	t.Cleanup(c.CloseIdleConnections)
	urls := []string{
		srv.URL,
		fmt.Sprintf("http://localhost:%d/", port), // a name that resolves to loopback
		fmt.Sprintf("http://[::1]:%d/", port),
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port),
		"http://10.0.0.1:9/",
		"http://169.254.169.254/latest/meta-data/",
		"http://0.0.0.0:9/",
	}
	for _, u := range urls {
		t.Run(u, func(t *testing.T) {
			_, err := get(c, u)
			if !errors.Is(err, egress.ErrForbiddenAddress) {
				t.Fatalf("GET %s: err = %v, want ErrForbiddenAddress", u, err)
			}
		})
	}
}

func TestClientRefusesOtherSchemes(t *testing.T) {
	c := egress.New(nil).Client(egress.Options{})
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"} {
		if _, err := get(c, u); !errors.Is(err, egress.ErrScheme) {
			t.Errorf("GET %s: err = %v, want ErrScheme", u, err)
		}
	}
}

func TestClientReachesAllowListedServer(t *testing.T) {
	srv := serve(t, "127.0.0.1:0", http.HandlerFunc(ok))
	c := egress.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}).Client(egress.Options{})
	t.Cleanup(c.CloseIdleConnections)
	body, err := get(c, srv.URL)
	if err != nil || body != "fine" {
		t.Fatalf("GET allow-listed server: %q, %v", body, err)
	}
}

// Redirect hops are dialed by the same guarded dialer. The two servers
// listen on different loopback addresses (Linux routes all of 127/8 to lo),
// so an allow-list of exactly the first server's address lets the first hop
// through and must stop the hop to the second.
func TestRedirectHopsAreChecked(t *testing.T) {
	second := serve(t, "127.0.0.2:0", http.HandlerFunc(ok))
	first := serve(t, "127.0.0.1:0", http.RedirectHandler(second.URL+"/next", http.StatusFound))
	metadata := serve(t, "127.0.0.1:0", http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))

	only := egress.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}).Client(egress.Options{})
	t.Cleanup(only.CloseIdleConnections)
	if _, err := get(only, first.URL); !errors.Is(err, egress.ErrForbiddenAddress) || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Fatalf("redirect to a forbidden loopback address: err = %v, want ErrForbiddenAddress naming 127.0.0.2", err)
	}
	if _, err := get(only, metadata.URL); !errors.Is(err, egress.ErrForbiddenAddress) {
		t.Fatalf("redirect to the metadata address: err = %v, want ErrForbiddenAddress", err)
	}

	// The positive control: with both addresses allowed the same redirect is followed.
	both := egress.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/30")}).Client(egress.Options{})
	t.Cleanup(both.CloseIdleConnections)
	if body, err := get(both, first.URL); err != nil || body != "fine" {
		t.Fatalf("allowed redirect: %q, %v", body, err)
	}
}

func TestRedirectLimit(t *testing.T) {
	var srv *httptest.Server
	srv = serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		_, _ = fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
		if r.URL.Query().Get("stop") == fmt.Sprint(n) {
			ok(w, r)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("%s/?n=%d&stop=%s", srv.URL, n+1, r.URL.Query().Get("stop")), http.StatusFound)
	}))
	c := egress.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}).Client(egress.Options{})
	t.Cleanup(c.CloseIdleConnections)
	if body, err := get(c, srv.URL+"/?n=0&stop=5"); err != nil || body != "fine" {
		t.Fatalf("five redirects must be followed: %q, %v", body, err)
	}
	if _, err := get(c, srv.URL+"/?n=0&stop=6"); !errors.Is(err, egress.ErrTooManyRedirects) {
		t.Fatalf("six redirects: err = %v, want ErrTooManyRedirects", err)
	}
}
