package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/server/servertest"
)

type chatBody struct {
	ConversationID string `json:"conversationId"`
	Reply          string `json:"reply"`
	ToolCalls      []struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
		Output    json.RawMessage `json:"output"`
		Error     *string         `json:"error"`
	} `json:"toolCalls"`
	Citations []struct {
		DocumentID string  `json:"documentId"`
		Title      string  `json:"title"`
		Text       string  `json:"text"`
		Score      float64 `json:"score"`
	} `json:"citations"`
	Ended      bool    `json:"ended"`
	TransferTo *string `json:"transferTo"`
}

func chat(t testing.TB, n *servertest.Node, key, agentID string, body map[string]any) chatBody {
	t.Helper()
	res := n.Do("POST", "/v1/agents/"+agentID+"/chat", key, body)
	if res.Status != http.StatusOK {
		t.Fatalf("chat %v: %d %s", body["message"], res.Status, res.Body)
	}
	var c chatBody
	res.JSON(t, &c)
	return c
}

const dentalFAQ = `# Bright Smile Dental FAQ

## What are your opening hours?

We are open Monday to Friday from 8 am to 6 pm, and on Saturday from 9 am to 1 pm.

## Do you accept insurance?

We accept most major dental insurance plans, including Delta Dental and Cigna.
`

// provisionClinic creates a receptionist agent with the clinic FAQ as its
// collection and waits until the collection is searchable.
func provisionClinic(t testing.TB, n *servertest.Node, key string) (agentID, docID string) {
	t.Helper()
	res := n.Do("POST", "/v1/agents/provision", key, map[string]any{
		"agent":      map[string]any{"name": "Receptionist", "prompt": "You are the receptionist at Bright Smile Dental."},
		"collection": map[string]any{"name": "Clinic", "documents": []map[string]any{{"type": "markdown", "title": "Clinic FAQ", "content": dentalFAQ}}},
	})
	var prov struct {
		Agent      struct{ ID string } `json:"agent"`
		Collection struct{ ID string } `json:"collection"`
	}
	res.JSON(t, &prov)
	if res.Status != http.StatusCreated {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	for range 500 {
		r := n.Do("POST", "/v1/collections/"+prov.Collection.ID+"/search", key, map[string]any{"query": "opening hours", "topK": 1})
		var hits struct{ Data []hitBody }
		r.JSON(t, &hits)
		if len(hits.Data) > 0 {
			return prov.Agent.ID, hits.Data[0].DocumentID
		}
		time.Sleep(10 * time.Millisecond) // polling for the background ingest
	}
	t.Fatal("provisioned collection never became searchable")
	return "", ""
}

func TestChatBooksOverSeveralTurnsAndAnswersFromKnowledge(t *testing.T) {
	rec := &recorder{}
	hook := startServer(t, rec)
	n := servertest.Start(t, allowLoopback)
	agentID, docID := provisionClinic(t, n, n.AdminKey)
	createTool(t, n, n.AdminKey, agentID, webhookTool("book_appointment", hook+"/book", 0, map[string]string{"Authorization": "Bearer clinic-key"}))

	turns := []struct{ say, want string }{
		{"Hi, I'd like to schedule an appointment please", "What date would you like?"},
		{"next Friday", "What time would you like?"},
		{"ten thirty", "May I have your name, please?"},
	}
	conv := ""
	for _, tt := range turns {
		body := map[string]any{"message": tt.say}
		if conv != "" {
			body["conversationId"] = conv
		}
		res := chat(t, n, n.AdminKey, agentID, body)
		if conv == "" {
			conv = res.ConversationID
		}
		if res.ConversationID != conv || len(res.ToolCalls) != 0 || !strings.Contains(res.Reply, tt.want) {
			t.Fatalf("%q: %+v", tt.say, res)
		}
	}
	res := chat(t, n, n.AdminKey, agentID, map[string]any{"message": "it's John Smith", "conversationId": conv})
	if len(res.ToolCalls) != 1 || res.ToolCalls[0].Name != "book_appointment" || res.ToolCalls[0].Error != nil {
		t.Fatalf("booking turn: %+v", res)
	}
	// "next Friday" is the first Friday after today.
	today := time.Now()
	days := (int(time.Friday) - int(today.Weekday()) + 7) % 7
	if days == 0 {
		days = 7
	}
	wantDate := today.AddDate(0, 0, days).Format("2006-01-02")
	var args map[string]any
	if err := json.Unmarshal(res.ToolCalls[0].Arguments, &args); err != nil || args["date"] != wantDate || args["time"] != "10:30" || args["name"] != "John Smith" {
		t.Fatalf("arguments %s", res.ToolCalls[0].Arguments)
	}
	if !strings.Contains(res.Reply, "B K 4 2") {
		t.Fatalf("the reply does not speak the result: %q", res.Reply)
	}
	bodies, auth := rec.received()
	if len(bodies) != 1 || bodies[0]["date"] != wantDate || bodies[0]["time"] != "10:30" || bodies[0]["name"] != "John Smith" || len(bodies[0]) != 3 || auth[0] != "Bearer clinic-key" {
		t.Fatalf("webhook received %v (auth %v)", bodies, auth)
	}

	// A question in the same conversation is answered from the collection.
	res = chat(t, n, n.AdminKey, agentID, map[string]any{"message": "What are your opening hours on Saturday?", "conversationId": conv})
	if !strings.Contains(res.Reply, "Saturday from 9 am to 1 pm") || len(res.ToolCalls) != 0 {
		t.Fatalf("FAQ answer: %+v", res)
	}
	if len(res.Citations) != 1 || res.Citations[0].DocumentID != docID || res.Citations[0].Title != "What are your opening hours?" || res.Citations[0].Score <= 0 {
		t.Fatalf("citations: %+v", res.Citations)
	}
	// Saying goodbye ends it; an ended conversation cannot go on.
	res = chat(t, n, n.AdminKey, agentID, map[string]any{"message": "no thanks, bye", "conversationId": conv})
	if !res.Ended || len(res.ToolCalls) != 1 || res.ToolCalls[0].Name != "end_call" {
		t.Fatalf("goodbye: %+v", res)
	}
	r := n.Do("POST", "/v1/agents/"+agentID+"/chat", n.AdminKey, map[string]any{"message": "hello again", "conversationId": conv})
	if e := r.Err(t); r.Status != http.StatusBadRequest || e.Details[0].Field != "conversationId" {
		t.Fatalf("continuing an ended conversation: %d %s", r.Status, r.Body)
	}

	// The conversation is stored with every message, tools included.
	r = n.Do("GET", "/v1/conversations/"+conv, n.AdminKey, nil)
	var stored struct {
		AgentID  string `json:"agentId"`
		Channel  string `json:"channel"`
		EndedAt  *string
		Messages []struct{ Role, Text, ToolName string }
	}
	r.JSON(t, &stored)
	var roles []string
	for _, m := range stored.Messages {
		roles = append(roles, m.Role)
	}
	want := []string{"user", "assistant", "user", "assistant", "user", "assistant", "user", "assistant", "tool", "assistant", "user", "assistant", "user", "assistant", "tool"}
	if r.Status != http.StatusOK || stored.AgentID != agentID || stored.Channel != "chat" || stored.EndedAt == nil || !slices.Equal(roles, want) {
		t.Fatalf("stored conversation: %d %s", r.Status, r.Body)
	}
	if stored.Messages[8].ToolName != "book_appointment" || !strings.Contains(stored.Messages[8].Text, "BK42") {
		t.Fatalf("stored tool message: %+v", stored.Messages[8])
	}

	// Another agent cannot continue this agent's conversation.
	otherAgent := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Other"})
	r = n.Do("POST", "/v1/agents/"+otherAgent+"/chat", n.AdminKey, map[string]any{"message": "hi", "conversationId": conv})
	if e := r.Err(t); r.Status != http.StatusBadRequest || e.Details[0].Field != "conversationId" || !strings.Contains(e.Details[0].Message, "another agent") {
		t.Fatalf("other agent's conversation: %d %s", r.Status, r.Body)
	}
}

func TestChatValidation(t *testing.T) {
	n := servertest.Start(t, nil)
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Plain"})
	for _, tt := range []struct {
		name  string
		body  any
		field string
	}{
		{"empty message", map[string]any{"message": "  "}, "message"},
		{"bad conversation ID", map[string]any{"message": "hi", "conversationId": "conv_../../x"}, "conversationId"},
		{"wrong type", map[string]any{"message": "hi", "stream": "yes"}, "stream"},
		{"unknown field", map[string]any{"message": "hi", "history": []string{}}, "history"},
	} {
		res := n.Do("POST", "/v1/agents/"+agentID+"/chat", n.AdminKey, tt.body)
		if e := res.Err(t); res.Status != http.StatusBadRequest || e.Details[0].Field != tt.field {
			t.Fatalf("%s: %d %s", tt.name, res.Status, res.Body)
		}
	}
	res := n.Do("POST", "/v1/agents/"+agentID+"/chat", n.AdminKey, map[string]any{"message": "hi", "conversationId": "conv_01arz3ndektsv4rrffq69g5fav"})
	if res.Status != http.StatusNotFound {
		t.Fatalf("unknown conversation: %d %s", res.Status, res.Body)
	}
}

func TestChatStreamsServerSentEvents(t *testing.T) {
	rec := &recorder{}
	hook := startServer(t, rec)
	n := servertest.Start(t, allowLoopback)
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Streamer"})
	createTool(t, n, n.AdminKey, agentID, webhookTool("book_appointment", hook+"/book", 0, nil))
	raw, _ := json.Marshal(map[string]any{"stream": true, "message": "Can I book an appointment for 2030-03-15 at 3pm? My name is Ana Lopez."})
	req, _ := http.NewRequest("POST", n.URL+"/v1/agents/"+agentID+"/chat", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+n.AdminKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := n.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var events []string
	var deltas strings.Builder
	var done chatBody
	sc := bufio.NewScanner(res.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			if len(events) == 0 || events[len(events)-1] != event {
				events = append(events, event)
			}
		case strings.HasPrefix(line, "data: "):
			data := []byte(strings.TrimPrefix(line, "data: "))
			switch event {
			case "delta":
				var d struct{ Text string }
				if err := json.Unmarshal(data, &d); err != nil {
					t.Fatal(err)
				}
				deltas.WriteString(d.Text)
			case "done":
				if err := json.Unmarshal(data, &done); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if !slices.Equal(events, []string{"delta", "tool_call", "delta", "done"}) {
		t.Fatalf("events %v", events)
	}
	// The deltas, round after round, make up the reply.
	if deltas.String() != done.Reply || !strings.Contains(done.Reply, "B K 4 2") ||
		len(done.ToolCalls) != 1 || done.ConversationID == "" {
		t.Fatalf("deltas %q, done %+v", deltas.String(), done)
	}
}

func TestSpeakInTheAgentsVoice(t *testing.T) {
	n := servertest.Start(t, nil)
	agentID := makeAgent(t, n, n.AdminKey, map[string]any{"name": "Speaker", "voice": map[string]any{"voiceId": "flite-slt"}})
	res := n.Do("POST", "/v1/agents/"+agentID+"/speak", n.AdminKey, map[string]any{"text": "Your appointment is confirmed.", "format": "wav"})
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "audio/wav" || !bytes.HasPrefix(res.Body, []byte("RIFF")) || len(res.Body) < 10000 {
		t.Fatalf("speak: %d %s %d bytes", res.Status, res.Header.Get("Content-Type"), len(res.Body))
	}
	res = n.Do("POST", "/v1/agents/"+agentID+"/speak", n.AdminKey, map[string]any{"text": "hi", "format": "flac"})
	if e := res.Err(t); res.Status != http.StatusBadRequest || e.Details[0].Field != "format" {
		t.Fatalf("bad format: %d %s", res.Status, res.Body)
	}
}

func startServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptestServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkChatTurn measures a chat turn with the built-in engine through
// the real API: retrieval from a collection, the dialog engine, the
// conversation stored.
func BenchmarkChatTurn(b *testing.B) {
	n := servertest.Start(b, nil)
	agentID, _ := provisionClinic(b, n, n.AdminKey)
	createTool(b, n, n.AdminKey, agentID, map[string]any{"name": "hang_up", "type": "end_call"})
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res := chat(b, n, n.AdminKey, agentID, map[string]any{"message": "What are your opening hours on Saturday?"})
		lat = append(lat, time.Since(start))
		if !strings.Contains(res.Reply, "9 am") {
			b.Fatalf("reply %q", res.Reply)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func httptestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
