package twilio

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// publicVector is the example from Twilio's "Webhooks security" page.
var publicVector = struct {
	token, url, want string
	params           url.Values
}{
	token: "12345",
	url:   "https://mycompany.com/myapp.php?foo=1&bar=2",
	want:  "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
	params: url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	},
}

func TestSignaturePublicVector(t *testing.T) {
	v := publicVector
	if got := Signature(v.token, v.url, v.params); got != v.want {
		t.Fatalf("Signature = %q, want %q", got, v.want)
	}
	if !Valid(v.token, v.want, v.url, v.params) {
		t.Fatal("Valid rejects Twilio's own example")
	}
}

func TestValid(t *testing.T) {
	v := publicVector
	withPort := "https://mycompany.com:443/myapp.php?foo=1&bar=2"
	sigWithPort := Signature(v.token, withPort, v.params)
	if sigWithPort == v.want {
		t.Fatal("the port must change the signature, or the port tests below prove nothing")
	}
	changed := url.Values{}
	for k, vs := range v.params {
		changed[k] = vs
	}
	changed["Digits"] = []string{"1235"}

	tests := []struct {
		name            string
		token, sig, url string
		params          url.Values
		want            bool
	}{
		{"exact", v.token, v.want, v.url, v.params, true},
		{"signed without port, checked with :443", v.token, v.want, withPort, v.params, true},
		{"signed with :443, checked without", v.token, sigWithPort, v.url, v.params, true},
		{"signed with :443, checked with", v.token, sigWithPort, withPort, v.params, true},
		{"http :80 stripped", "tok", Signature("tok", "http://h.example/a", nil), "http://h.example:80/a", nil, true},
		{"http :80 added", "tok", Signature("tok", "http://h.example:80/a", nil), "http://h.example/a", nil, true},
		{"wss :443 added", "tok", Signature("tok", "wss://h.example:443/s", nil), "wss://h.example/s", nil, true},
		{"ws :80 stripped", "tok", Signature("tok", "ws://h.example/s", nil), "ws://h.example:80/s", nil, true},
		{"userinfo and no path", "tok", Signature("tok", "https://u:p@h.example", nil), "https://u:p@h.example:443", nil, true},
		{"ipv6 host", "tok", Signature("tok", "https://[::1]/x", nil), "https://[::1]:443/x", nil, true},
		{"other port is not stripped", "tok", Signature("tok", "https://h.example/x", nil), "https://h.example:8443/x", nil, false},
		{"http port on https", "tok", Signature("tok", "https://h.example:80/x", nil), "https://h.example/x", nil, false},
		{"wrong token", "54321", v.want, v.url, v.params, false},
		{"changed param", v.token, v.want, v.url, changed, false},
		{"missing params", v.token, v.want, v.url, nil, false},
		{"other URL", v.token, v.want, "https://mycompany.com/myapp.php?foo=1&bar=3", v.params, false},
		{"empty signature", v.token, "", v.url, v.params, false},
		{"empty token", "", Signature("", v.url, v.params), v.url, v.params, false},
		{"truncated signature", v.token, v.want[:10], v.url, v.params, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.token, tt.sig, tt.url, tt.params); got != tt.want {
				t.Errorf("Valid = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSignatureParamOrder(t *testing.T) {
	// Values of a repeated key are sorted and counted once, so the order in
	// which a form listed them does not matter.
	a := Signature("tok", "https://h.example/cb", url.Values{"E": {"ringing", "answered", "initiated", "answered"}})
	b := Signature("tok", "https://h.example/cb", url.Values{"E": {"answered", "initiated", "ringing"}})
	if a != b {
		t.Errorf("repeated values: %q != %q", a, b)
	}
	c := Signature("tok", "https://h.example/cb", url.Values{"E": {"answered", "ringing"}})
	if a == c {
		t.Error("dropping a value did not change the signature")
	}
}

func TestCompareUTF16(t *testing.T) {
	tests := []struct {
		a, b string
		want int // sign
	}{
		{"a", "b", -1},
		{"a", "a", 0},
		{"a", "ab", -1},
		{"Z", "a", -1},
		{"\U0001F600", "\uFF21", -1}, // surrogate 0xD83D sorts before 0xFF21
		{"\uFF21", "\U0001F600", 1},
		{"\U0001F600", "\U0001F601", -1},
		{"\u00e9", "\U0001F600", -1},
		{"\xff", "\xfe", 1}, // both read as U+FFFD: bytes decide
	}
	for _, tt := range tests {
		got := compareUTF16(tt.a, tt.b)
		if sign(got) != tt.want {
			t.Errorf("compareUTF16(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// nodeModules finds the node_modules holding the twilio package: the
// SWITCHBOARD_NODE_MODULES directory, else tools/node/node_modules of this
// repository. It skips the test when there is none, or fails when
// SWITCHBOARD_REQUIRE_TOOLS is set.
func nodeModules(t *testing.T, pkg string) (node, dir string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("SWITCHBOARD_REQUIRE_TOOLS") != "" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found: %v", err)
	}
	dir = os.Getenv("SWITCHBOARD_NODE_MODULES")
	if dir == "" {
		root, err := filepath.Abs(".")
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				missing("go.mod not found above the test directory")
			}
			root = parent
		}
		dir = filepath.Join(root, "tools", "node", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(dir, pkg, "package.json")); err != nil {
		missing("npm package %s not installed in %s (run npm ci in tools/node or set SWITCHBOARD_NODE_MODULES)", pkg, dir)
	}
	return node, dir
}

// TestSignatureAgainstTwilioNode checks Signature and Valid against the
// official twilio npm library: the library must compute the same signature
// and accept ours, and Valid must accept the library's.
func TestSignatureAgainstTwilioNode(t *testing.T) {
	node, modules := nodeModules(t, "twilio")

	type tcase struct {
		name        string
		token, url  string
		params      url.Values
		validateURL string // where the library checks our signature
	}
	cases := []tcase{
		{name: "public vector", token: publicVector.token, url: publicVector.url, params: publicVector.params},
		{name: "repeated keys", token: "f00dfeed", url: "https://api.example.com/v1/sessions/twilio",
			params: url.Values{"StatusCallbackEvent": {"ringing", "answered", "initiated", "answered"}, "CallSid": {"CA1"}}},
		// The URL is percent-encoded, as it is on the wire: the library
		// re-encodes raw non-ASCII URLs before validating.
		{name: "unicode", token: "s3cr3t-ü", url: "https://example.com/hook/%C3%BCn%C3%AF?q=%E2%98%8E",
			params: url.Values{"Body": {"héllo ☎ 🎧"}, "Ünï": {"x"}, "\uFF21": {"fullwidth"}, "\U0001F600": {"emoji"}, "From": {"+441632960000"}}},
		{name: "empty values", token: "tok", url: "https://example.com/cb",
			params: url.Values{"Digits": {""}, "Empty": {"", ""}, "SpeechResult": {"yes"}}},
		{name: "no params (WebSocket upgrade)", token: "tok", url: "wss://example.com/v1/sessions/twilio/stream", params: url.Values{}},
		{name: "form-style values", token: "tok", url: "https://example.com/cb?x=a%20b&y=1+2",
			params: url.Values{"Caller": {"+1 (234) 567-8900"}, "Q": {"a&b=c"}, "Amp": {"&amp;"}}},
		// Port variants: we sign one form of the URL, the library validates
		// the other.
		{name: "https :443 signed, checked without", token: "tok", url: "https://example.com:443/voice",
			params: url.Values{"CallSid": {"CA9"}}, validateURL: "https://example.com/voice"},
		{name: "https signed, checked with :443", token: "tok", url: "https://example.com/voice",
			params: url.Values{"CallSid": {"CA9"}}, validateURL: "https://example.com:443/voice"},
		{name: "http :80 signed, checked without", token: "tok", url: "http://example.com:80/voice?a=1",
			params: url.Values{"CallSid": {"CA9"}}, validateURL: "http://example.com/voice?a=1"},
	}

	type nodeCase struct {
		Token       string         `json:"token"`
		URL         string         `json:"url"`
		Params      map[string]any `json:"params"`
		Ours        string         `json:"ours"`
		ValidateURL string         `json:"validateUrl"`
	}
	var in []nodeCase
	for _, c := range cases {
		// Express hands the library one string per key, or an array for a
		// repeated key; pass both shapes.
		params := map[string]any{}
		for k, vs := range c.params {
			if len(vs) == 1 {
				params[k] = vs[0]
			} else {
				params[k] = vs
			}
		}
		vu := c.validateURL
		if vu == "" {
			vu = c.url
		}
		in = append(in, nodeCase{c.token, c.url, params, Signature(c.token, c.url, c.params), vu})
	}
	// A tampered signature must be refused by the library too, or its
	// "valid" answers above would mean nothing.
	bad := in[0]
	bad.Ours = "1" + bad.Ours[1:]
	in = append(in, bad)

	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "signature_check.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var out struct {
		Version string `json:"version"`
		Results []struct {
			Expected string `json:"expected"`
			Valid    bool   `json:"valid"`
		} `json:"results"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("node output %q: %v", stdout, err)
	}
	if len(out.Results) != len(in) {
		t.Fatalf("node answered %d cases, want %d", len(out.Results), len(in))
	}
	t.Logf("twilio npm %s", out.Version)

	for i, c := range cases {
		r := out.Results[i]
		t.Run(c.name, func(t *testing.T) {
			if r.Expected != in[i].Ours {
				t.Errorf("twilio-node signs %q, we sign %q", r.Expected, in[i].Ours)
			}
			if !r.Valid {
				t.Errorf("twilio-node rejects our signature for %s", in[i].ValidateURL)
			}
			if !Valid(c.token, r.Expected, in[i].ValidateURL, c.params) {
				t.Errorf("Valid rejects twilio-node's signature for %s", in[i].ValidateURL)
			}
		})
	}
	if out.Results[len(cases)].Valid {
		t.Error("twilio-node accepts a tampered signature; the cross-check is not checking")
	}
}
