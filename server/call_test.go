package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/audio/wav"
	"github.com/switchboard-voice/switchboard/server/servertest"
	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

type conversationBody struct {
	ID        string `json:"id"`
	SessionID string `json:"sessionId"`
	CallID    string `json:"callId"`
	Channel   string `json:"channel"`
	Messages  []struct {
		Role        string `json:"role"`
		Text        string `json:"text"`
		StartMs     int64  `json:"startMs"`
		EndMs       int64  `json:"endMs"`
		Interrupted bool   `json:"interrupted"`
	} `json:"messages"`
}

type traceBody struct {
	SessionID string `json:"sessionId"`
	Turns     []struct {
		Turn            int     `json:"turn"`
		UserText        string  `json:"userText"`
		VADEndMs        float64 `json:"vadEndMs"`
		STTFinalMs      float64 `json:"sttFinalMs"`
		LLMFirstTokenMs float64 `json:"llmFirstTokenMs"`
		TTSFirstAudioMs float64 `json:"ttsFirstAudioMs"`
		FirstFrameMs    float64 `json:"firstFrameMs"`
		LatencyMs       float64 `json:"latencyMs"`
	} `json:"turns"`
}

// The clinic's FAQ, and the questions a caller asks about it.
var clinicFAQ = []map[string]any{
	{"title": "Opening hours", "type": "markdown", "content": "# Opening hours\nThe clinic opens at nine in the morning and closes at five in the evening, Monday to Friday."},
	{"title": "Parking", "type": "markdown", "content": "# Parking\nParking is free in the garage behind the building."},
	{"title": "Insurance", "type": "markdown", "content": "# Insurance\nWe accept most major insurance plans. Bring your insurance card to your first visit."},
}

// A whole phone call through the real Twilio stream endpoint with the
// embedded engines: greeting, two questions answered from the agent's
// knowledge, hangup; then the stored conversation, recording and trace.
func TestSimulatedCallEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("a full call takes real time")
	}
	n := servertest.Start(t, nil)
	res := n.Do("POST", "/v1/agents/provision", n.AdminKey, map[string]any{
		"agent": map[string]any{
			"name": "Clinic front desk", "prompt": "You answer questions about the clinic.",
			"firstMessage": "Hello, thanks for calling the clinic. How can I help you?",
			"metadata":     map[string]any{"phrases": []string{"what time do you open", "is there parking", "do you take insurance"}},
		},
		"collection": map[string]any{"name": "Clinic FAQ", "documents": clinicFAQ},
	})
	if res.Status != 201 {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	var prov struct {
		Agent      agentBody `json:"agent"`
		Collection struct {
			ID string `json:"id"`
		} `json:"collection"`
	}
	res.JSON(t, &prov)
	waitIndexed(t, n, prov.Collection.ID)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	call, err := twiliotest.Dial(ctx, twiliotest.Options{BaseURL: n.URL, AgentID: prov.Agent.ID, From: "+15550001111", To: "+15550002222"})
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	tr, err := twiliotest.NewTranscriber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	heard := func(u twiliotest.Utterance, phrases ...string) string {
		text, err := tr.Transcribe(ctx, u, phrases...)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}

	greeting, err := call.WaitForAgent(ctx, 1200*time.Millisecond)
	if err != nil {
		t.Fatalf("no greeting: %v", err)
	}
	agentPhrases := []string{"Hello, thanks for calling the clinic. How can I help you?",
		"The clinic opens at nine in the morning and closes at five in the evening, Monday to Friday.",
		"Parking is free in the garage behind the building."}
	if text := heard(greeting, agentPhrases...); !strings.Contains(text, "clinic") && !strings.Contains(text, "help") {
		t.Fatalf("greeting heard as %q", text)
	}

	type turn struct{ say, want string }
	var latencies []time.Duration
	for _, tc := range []turn{{"What time do you open?", "nine"}, {"Is there parking?", "parking"}} {
		if err := call.Say(ctx, tc.say, "flite-rms"); err != nil {
			t.Fatal(err)
		}
		answer, err := call.WaitForAgent(ctx, 1200*time.Millisecond)
		if err != nil {
			t.Fatalf("no answer to %q: %v", tc.say, err)
		}
		text := heard(answer, agentPhrases...)
		t.Logf("caller: %q → agent: %q (latency %v)", tc.say, text, answer.Latency)
		if !strings.Contains(text, tc.want) {
			_ = call.Hangup(ctx)
			time.Sleep(time.Second)
			t.Fatalf("answer to %q heard as %q, want it to mention %q; stored: %s", tc.say, text, tc.want,
				n.Do("GET", "/v1/conversations", n.AdminKey, nil).Body)
		}
		latencies = append(latencies, answer.Latency)
	}
	callLength := time.Since(greeting.Start)
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// The conversation is stored when the session ends.
	var conv conversationBody
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list listBody[conversationBody]
		n.Do("GET", "/v1/conversations", n.AdminKey, nil).JSON(t, &list)
		if len(list.Data) == 1 {
			conv = list.Data[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("conversation not stored")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if conv.Channel != "phone" || len(conv.Messages) != 5 || conv.Messages[0].Role != "assistant" ||
		conv.Messages[1].Role != "user" || conv.Messages[2].Role != "assistant" {
		t.Fatalf("conversation: %+v", conv)
	}
	if !strings.Contains(strings.ToLower(conv.Messages[2].Text), "nine") || !strings.Contains(strings.ToLower(conv.Messages[4].Text), "parking") {
		t.Fatalf("stored answers: %q / %q", conv.Messages[2].Text, conv.Messages[4].Text)
	}
	for i := 1; i < len(conv.Messages); i++ {
		if conv.Messages[i].StartMs < conv.Messages[i-1].StartMs {
			t.Fatalf("messages out of time order: %+v", conv.Messages)
		}
	}

	// The recording: stereo, as long as the call.
	rec := n.Do("GET", "/v1/recordings/"+conv.CallID, n.AdminKey, nil)
	if rec.Status != 200 || rec.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("recording: %d", rec.Status)
	}
	audio, err := wav.Decode(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if audio.Channels != 2 || audio.Duration() < callLength-2*time.Second || audio.Duration() > callLength+3*time.Second {
		t.Fatalf("recording: %d channels, %v long; the call lasted %v", audio.Channels, audio.Duration(), callLength)
	}

	// The call: its telephony leg as Twilio described it.
	var leg struct {
		SessionID      string `json:"sessionId"`
		ProviderCallID string `json:"providerCallId"`
		From           string `json:"from"`
		Status         string `json:"status"`
		DurationMs     int64  `json:"durationMs"`
		EndReason      string `json:"endReason"`
	}
	res = n.Do("GET", "/v1/observability/calls/"+conv.CallID, n.AdminKey, nil)
	res.JSON(t, &leg)
	if res.Status != 200 || leg.SessionID != conv.SessionID || leg.ProviderCallID != call.CallSID || leg.From != "+15550001111" ||
		leg.Status != "completed" || leg.EndReason != "stop" || leg.DurationMs < callLength.Milliseconds()-2000 {
		t.Fatalf("call record: %d %s", res.Status, res.Body)
	}

	// The trace: one turn per question, every span in order.
	var trace traceBody
	res = n.Do("GET", "/v1/observability/sessions/"+conv.SessionID, n.AdminKey, nil)
	res.JSON(t, &trace)
	if res.Status != 200 || len(trace.Turns) != 2 {
		t.Fatalf("trace: %d %s", res.Status, res.Body)
	}
	for _, tt := range trace.Turns {
		if tt.VADEndMs <= 0 || tt.STTFinalMs < tt.VADEndMs || tt.LLMFirstTokenMs < tt.STTFinalMs ||
			tt.TTSFirstAudioMs < tt.LLMFirstTokenMs || tt.FirstFrameMs < tt.TTSFirstAudioMs || tt.LatencyMs <= 0 {
			t.Fatalf("turn spans out of order: %+v", tt)
		}
		t.Logf("turn %d %q: server latency %.0f ms (stt %.0f, llm %.0f, tts %.0f, frame %.0f after VAD end)", tt.Turn, tt.UserText,
			tt.LatencyMs, tt.STTFinalMs-tt.VADEndMs, tt.LLMFirstTokenMs-tt.VADEndMs, tt.TTSFirstAudioMs-tt.VADEndMs, tt.FirstFrameMs-tt.VADEndMs)
	}
	t.Logf("per-turn latency measured by the simulated caller: %v", latencies)
}

// waitIndexed waits until a provisioned collection's documents are indexed.
func waitIndexed(t *testing.T, n *servertest.Node, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var col struct {
			ChunkCount int `json:"chunkCount"`
		}
		n.Do("GET", "/v1/collections/"+id, n.AdminKey, nil).JSON(t, &col)
		if col.ChunkCount > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("collection never indexed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
