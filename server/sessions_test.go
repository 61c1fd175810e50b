package server_test

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/server/servertest"
	"github.com/switchboard-voice/switchboard/transport/twilio"
)

type twimlDoc struct {
	Connect struct {
		Stream struct {
			URL        string `xml:"url,attr"`
			Parameters []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"Parameter"`
		} `xml:"Stream"`
	} `xml:"Connect"`
	Say    string    `xml:"Say"`
	Hangup *struct{} `xml:"Hangup"`
}

func postForm(t *testing.T, n *servertest.Node, path string, form url.Values, sig string) (int, []byte) {
	t.Helper()
	req, _ := newRequest("POST", n.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set(twilio.SignatureHeader, sig)
	}
	res, err := n.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := readAll(res.Body)
	return res.StatusCode, body
}

func callForm() url.Values {
	return url.Values{"CallSid": {"CA0001"}, "AccountSid": {"AC0001"}, "From": {"+15550001111"}, "To": {"+15550002222"},
		"CallStatus": {"ringing"}, "Direction": {"inbound"}}
}

// webhook answers like Twilio's voice webhook and returns the stream token.
func webhook(t *testing.T, n *servertest.Node, agentID string) string {
	t.Helper()
	status, body := postForm(t, n, "/v1/sessions/twilio?agentId="+agentID, callForm(), "")
	var doc twimlDoc
	if status != 200 || xml.Unmarshal(body, &doc) != nil {
		t.Fatalf("webhook: %d %s", status, body)
	}
	if !strings.HasPrefix(doc.Connect.Stream.URL, "wss://") || !strings.HasSuffix(doc.Connect.Stream.URL, "/v1/sessions/twilio/stream") {
		t.Fatalf("stream URL %q", doc.Connect.Stream.URL)
	}
	for _, p := range doc.Connect.Stream.Parameters {
		if p.Name == twilio.TokenParam {
			return p.Value
		}
	}
	t.Fatalf("TwiML has no token: %s", body)
	return ""
}

func dialStream(t *testing.T, n *servertest.Node) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(strings.Replace(n.URL, "http://", "ws://", 1)+"/v1/sessions/twilio/stream", nil)
	if err != nil {
		t.Fatalf("dial stream: %v", err)
	}
	return conn
}

func startMessage(token string) string {
	return fmt.Sprintf(`{"event":"start","sequenceNumber":"1","streamSid":"MZ0001","start":{"accountSid":"AC0001","streamSid":"MZ0001","callSid":"CA0001","tracks":["inbound"],"customParameters":{"token":%q},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}`, token)
}

func mediaMessage(seq int, payload []byte) string {
	return fmt.Sprintf(`{"event":"media","sequenceNumber":"%d","streamSid":"MZ0001","media":{"track":"inbound","chunk":"%d","timestamp":"%d","payload":%q}}`,
		seq, seq, seq*20, base64.StdEncoding.EncodeToString(payload))
}

func silence() []byte {
	b := make([]byte, 160)
	for i := range b {
		b[i] = 0xFF
	}
	return b
}

// readUntil reads server messages until one contains want, or fails.
func readUntil(t *testing.T, conn *websocket.Conn, want string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if strings.Contains(string(msg), want) {
			return
		}
	}
}

func greeter(t *testing.T, n *servertest.Node) string {
	t.Helper()
	res := n.Do("POST", "/v1/agents", n.AdminKey, map[string]any{"name": "Greeter", "firstMessage": "Hello, thanks for calling."})
	var a agentBody
	res.JSON(t, &a)
	return a.ID
}

func TestTwilioWebhook(t *testing.T) {
	n := servertest.Start(t, nil)
	id := greeter(t, n)
	webhook(t, n, id)
	for _, bad := range []string{"agent_01m00000000000000000000000", "nonsense", ""} {
		status, body := postForm(t, n, "/v1/sessions/twilio?agentId="+bad, callForm(), "")
		var doc twimlDoc
		if status != 200 || xml.Unmarshal(body, &doc) != nil || doc.Say == "" || doc.Hangup == nil {
			t.Errorf("unknown agent %q: %d %s", bad, status, body)
		}
	}
}

// With an auth token configured, only signed webhooks are answered: signed
// by this server's own code, and by Twilio's official library.
func TestTwilioWebhookSignature(t *testing.T) {
	const token = "test-auth-token-1234"
	n := servertest.Start(t, func(c *config.Config) { c.Twilio.AuthToken = token })
	id := greeter(t, n)
	path := "/v1/sessions/twilio?agentId=" + id
	form := callForm()
	if status, _ := postForm(t, n, path, form, ""); status != 403 {
		t.Fatalf("unsigned webhook: %d", status)
	}
	if status, _ := postForm(t, n, path, form, "bm90IGEgc2lnbmF0dXJl"); status != 403 {
		t.Fatalf("wrongly signed webhook: %d", status)
	}
	good := twilio.Signature(token, n.URL+path, form)
	if status, body := postForm(t, n, path, form, good); status != 200 || !strings.Contains(string(body), "<Stream") {
		t.Fatalf("signed webhook: %d %s", status, body)
	}
	tampered := callForm()
	tampered.Set("From", "+15559999999")
	if status, _ := postForm(t, n, path, tampered, good); status != 403 {
		t.Fatalf("tampered form accepted: %d", status)
	}

	// Twilio's own library signs the same request.
	modules := nodeModules(t, "twilio")
	if modules == "" {
		return
	}
	script := `const t=require('twilio');const p=JSON.parse(process.argv[3]);process.stdout.write(t.getExpectedTwilioSignature(process.argv[1],process.argv[2],p));`
	params := `{"CallSid":"CA0001","AccountSid":"AC0001","From":"+15550001111","To":"+15550002222","CallStatus":"ringing","Direction":"inbound"}`
	cmd := exec.Command("node", "-e", script, token, n.URL+path, params)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("twilio library: %v", err)
	}
	if status, body := postForm(t, n, path, form, string(out)); status != 200 {
		t.Fatalf("webhook signed by the twilio library refused: %d %s", status, body)
	}
}

// nodeModules finds tools/node/node_modules holding pkg, or skips (fails
// under SWITCHBOARD_REQUIRE_TOOLS).
func nodeModules(t *testing.T, pkg string) string {
	t.Helper()
	dir, _ := filepath.Abs("../tools/node/node_modules")
	if _, err := os.Stat(filepath.Join(dir, pkg)); err == nil {
		return dir
	}
	if os.Getenv("SWITCHBOARD_REQUIRE_TOOLS") != "" {
		t.Fatalf("npm package %s is not installed in tools/node (run make node-deps)", pkg)
	}
	t.Skipf("npm package %s is not installed; run make node-deps", pkg)
	return ""
}

// Hostile or broken streams end only their own connection; the server
// keeps serving real calls.
func TestTwilioStreamEdgeCases(t *testing.T) {
	n := servertest.Start(t, nil)
	id := greeter(t, n)

	t.Run("binary frame", func(t *testing.T) {
		c := dialStream(t, n)
		defer c.Close()
		_ = c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := c.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseUnsupportedData {
			t.Fatalf("binary frame: %v", err)
		}
	})
	t.Run("invalid token", func(t *testing.T) {
		c := dialStream(t, n)
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage("forged.token")))
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := c.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.ClosePolicyViolation {
			t.Fatalf("forged token: %v", err)
		}
	})
	t.Run("garbage before and after start", func(t *testing.T) {
		c := dialStream(t, n)
		defer c.Close()
		for _, m := range []string{
			mediaMessage(1, silence()), // media before start
			`{"event":"connected","protocol":"Call","version":"1.0.0"}`,
			`{"event":"dance"}`, `not json`, `{"event":"media","media":{"payload":"%%%not base64"}}`,
		} {
			_ = c.WriteMessage(websocket.TextMessage, []byte(m))
		}
		_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage(webhook(t, n, id))))
		for _, m := range []string{`{"event":"dance"}`, `{"event":"media","streamSid":"MZ0001","media":{"payload":"@@@"}}`,
			`{"event":"mark","streamSid":"MZ0001","mark":{"name":"unknown"}}`, mediaMessage(2, make([]byte, 17))} {
			_ = c.WriteMessage(websocket.TextMessage, []byte(m))
		}
		// The call still works: the greeting arrives.
		readUntil(t, c, `"event":"media"`)
	})
	t.Run("oversized frame", func(t *testing.T) {
		c := dialStream(t, n)
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage(webhook(t, n, id))))
		_ = c.WriteMessage(websocket.TextMessage, []byte(mediaMessage(3, make([]byte, 1<<20))))
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				break // the server closed the socket that broke the limit
			}
		}
	})
	t.Run("abrupt disconnect mid-utterance", func(t *testing.T) {
		c := dialStream(t, n)
		_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage(webhook(t, n, id))))
		tone := make([]byte, 160)
		for i := range tone {
			tone[i] = byte(i * 37) // loud, speech-like noise
		}
		for i := 0; i < 20; i++ {
			_ = c.WriteMessage(websocket.TextMessage, []byte(mediaMessage(i+2, tone)))
		}
		c.Close()
	})
	if res := n.Do("GET", "/health", "", nil); res.Status != 200 {
		t.Fatalf("server unhealthy after hostile streams: %d", res.Status)
	}
	c := dialStream(t, n)
	defer c.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage(webhook(t, n, id))))
	readUntil(t, c, `"event":"media"`)
}

// Two thousand connects and disconnects leave no goroutine behind.
func TestConnectDisconnectLoopLeaksNothing(t *testing.T) {
	n := servertest.Start(t, nil)
	res := n.Do("POST", "/v1/agents", n.AdminKey, map[string]any{"name": "Quiet"}) // no greeting: cheap sessions
	var a agentBody
	res.JSON(t, &a)
	token := webhook(t, n, a.ID)
	settle := func() int {
		// Idle HTTP keep-alive connections are not leaks.
		n.Client.CloseIdleConnections()
		return runtime.NumGoroutine()
	}
	// Warm up: the first session builds the recogniser's domain model.
	c := dialStream(t, n)
	_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage(token)))
	_ = c.WriteMessage(websocket.TextMessage, []byte(mediaMessage(2, silence())))
	c.Close()
	waitLive(t, n, 0)
	baseline := settle()

	for i := 0; i < 2000; i++ {
		c := dialStream(t, n)
		if i%10 == 0 {
			_ = c.WriteMessage(websocket.TextMessage, []byte(startMessage(token)))
			_ = c.WriteMessage(websocket.TextMessage, []byte(mediaMessage(2, silence())))
		}
		c.Close()
	}
	waitLive(t, n, 0)
	deadline := time.Now().Add(30 * time.Second)
	for {
		now := settle()
		if now <= baseline+5 {
			t.Logf("goroutines: baseline %d, after 2000 connections %d", baseline, now)
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines grew from %d to %d:\n%s", baseline, now, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res := n.Do("GET", "/health", "", nil); res.Status != 200 {
		t.Fatalf("health after the loop: %d", res.Status)
	}
}

func waitLive(t *testing.T, n *servertest.Node, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for n.LiveVoice() != want {
		if time.Now().After(deadline) {
			t.Fatalf("live voice connections: %d, want %d", n.LiveVoice(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
