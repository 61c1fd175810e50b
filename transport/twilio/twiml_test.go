package twilio

import (
	"encoding/xml"
	"errors"
	"testing"
)

func TestConnectStream(t *testing.T) {
	got, err := ConnectStream("wss://voice.example.com/v1/sessions/twilio/stream", map[string]string{
		"token": "eyJv.sig",
		"agent": `a&b <"c'>`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><Response><Connect>` +
		`<Stream url="wss://voice.example.com/v1/sessions/twilio/stream">` +
		`<Parameter name="agent" value="a&amp;b &lt;&#34;c&#39;&gt;"/>` +
		`<Parameter name="token" value="eyJv.sig"/>` +
		`</Stream></Connect></Response>`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestConnectStreamParses reads the TwiML back with encoding/xml: whatever
// the parameters hold, Twilio must receive exactly them.
func TestConnectStreamParses(t *testing.T) {
	params := map[string]string{
		"quote":   `"'`,
		"markup":  "</Stream><Hangup/>",
		"space":   "line1\nline2\ttab",
		"unicode": "héllo ☎",
		"empty":   "",
	}
	out, err := ConnectStream("wss://h.example:8443/s", params)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Stream struct {
			URL    string `xml:"url,attr"`
			Params []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"Parameter"`
		} `xml:"Connect>Stream"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if doc.Stream.URL != "wss://h.example:8443/s" {
		t.Errorf("url = %q", doc.Stream.URL)
	}
	if len(doc.Stream.Params) != len(params) {
		t.Fatalf("%d parameters, want %d: %s", len(doc.Stream.Params), len(params), out)
	}
	for _, p := range doc.Stream.Params {
		if want, ok := params[p.Name]; !ok || p.Value != want {
			t.Errorf("parameter %q = %q, want %q", p.Name, p.Value, want)
		}
	}
}

func TestConnectStreamRefuses(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		params map[string]string
	}{
		{"https", "https://h.example/s", nil},
		{"ws", "ws://h.example/s", nil},
		{"query", "wss://h.example/s?token=x", nil},
		{"empty query", "wss://h.example/s?", nil},
		{"fragment", "wss://h.example/s#x", nil},
		{"no host", "wss:///s", nil},
		{"relative", "/s", nil},
		{"unparsable", "wss://h.example/%zz", nil},
		{"empty parameter name", "wss://h.example/s", map[string]string{"": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ConnectStream(tt.url, tt.params)
			if !errors.Is(err, ErrTwiML) {
				t.Errorf("err = %v, want ErrTwiML (output %s)", err, out)
			}
		})
	}
}

func TestSayHangup(t *testing.T) {
	got := string(SayHangup("This number is not in service. <Sorry> & goodbye."))
	want := `<?xml version="1.0" encoding="UTF-8"?><Response><Say>This number is not in service. &lt;Sorry&gt; &amp; goodbye.</Say><Hangup/></Response>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := string(Hangup()), `<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
