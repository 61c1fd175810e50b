package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/server/servertest"
)

// A voice session offers the agent's own tools to the model: a booking
// made over the direct protocol reaches the webhook, and the answer is
// spoken.
func TestVoiceSessionCallsAgentWebhook(t *testing.T) {
	rec := &recorder{}
	hook := startServer(t, rec)
	n := servertest.Start(t, allowLoopback)
	agentID, _ := provisionClinic(t, n, n.AdminKey)
	createTool(t, n, n.AdminKey, agentID, webhookTool("book_appointment", hook+"/book", 0, nil))

	header := http.Header{"Authorization": {"Bearer " + n.AdminKey}}
	conn, _, err := websocket.DefaultDialer.Dial(strings.Replace(n.URL, "http://", "ws://", 1)+"/v1/agents/"+agentID+"/session", header)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(v any) {
		raw, _ := json.Marshal(v)
		if err := conn.WriteMessage(websocket.TextMessage, raw); err != nil {
			t.Fatal(err)
		}
	}
	// waitEvent reads until an event of the type arrives, collecting the
	// agent's text on the way.
	var said strings.Builder
	waitEvent := func(want string) map[string]any {
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			kind, raw, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("waiting for %s: %v (agent said %q)", want, err, said.String())
			}
			if kind != websocket.TextMessage {
				continue // agent audio
			}
			var ev map[string]any
			_ = json.Unmarshal(raw, &ev)
			if ev["type"] == "agent.text.delta" {
				said.WriteString(ev["text"].(string))
			}
			if ev["type"] == want {
				return ev
			}
		}
	}
	send(map[string]any{"type": "start", "audio": map[string]any{"encoding": "pcm16", "sampleRate": 16000}})
	waitEvent("session.ready")
	for _, line := range []string{"I'd like to book an appointment", "next Friday", "ten thirty"} {
		send(map[string]any{"type": "text", "text": line})
		waitEvent("agent.speech.ended")
	}
	said.Reset()
	send(map[string]any{"type": "text", "text": "it's John Smith"})
	call := waitEvent("tool.call")
	if call["name"] != "book_appointment" {
		t.Fatalf("tool call: %v", call)
	}
	waitEvent("agent.speech.ended")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bodies) != 1 || rec.bodies[0]["name"] != "John Smith" || rec.bodies[0]["time"] != "10:30" {
		t.Fatalf("webhook received %v", rec.bodies)
	}
	if !strings.Contains(said.String(), "B K 4 2") && !strings.Contains(said.String(), "BK42") {
		t.Fatalf("the agent did not speak the booking result: %q", said.String())
	}
}
