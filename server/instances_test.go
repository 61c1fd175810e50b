package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/server/servertest"
	"github.com/switchboard-voice/switchboard/transport/twilio"
	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

type instanceBody struct {
	ID          string            `json:"id"`
	AgentID     string            `json:"agentId"`
	Name        string            `json:"name"`
	PhoneNumber string            `json:"phoneNumber"`
	Variables   map[string]string `json:"variables"`
	Overrides   struct {
		FirstMessage *string `json:"firstMessage"`
		Prompt       *string `json:"prompt"`
		Voice        *struct {
			Provider string `json:"provider"`
			VoiceID  string `json:"voiceId"`
		} `json:"voice"`
	} `json:"overrides"`
	Status    string `json:"status"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

func createInstance(t *testing.T, n *servertest.Node, key, agentID string, body map[string]any) instanceBody {
	t.Helper()
	res := n.Do("POST", "/v1/agents/"+agentID+"/instances", key, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create instance: %d %s", res.Status, res.Body)
	}
	var in instanceBody
	res.JSON(t, &in)
	return in
}

// wantInvalid checks a VALIDATION_ERROR that names exactly fields.
func wantInvalid(t *testing.T, res *servertest.Response, fields ...string) {
	t.Helper()
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", res.Status, res.Body)
	}
	e := res.Err(t)
	var got []string
	for _, d := range e.Details {
		got = append(got, d.Field)
	}
	slices.Sort(got)
	slices.Sort(fields)
	if e.Code != "VALIDATION_ERROR" || !slices.Equal(got, fields) {
		t.Fatalf("error %s on %v, want VALIDATION_ERROR on %v: %s", e.Code, got, fields, res.Body)
	}
}

func TestInstanceCRUD(t *testing.T) {
	n := servertest.Start(t, nil)
	ag := createAgent(t, n, n.AdminKey, "Front desk")
	base := "/v1/agents/" + ag.ID + "/instances"

	in := createInstance(t, n, n.AdminKey, ag.ID, map[string]any{
		"name": "  Berlin office ", "phoneNumber": "+4930123456", "variables": map[string]string{"city": "Berlin"},
		"overrides": map[string]any{"firstMessage": "Hallo!", "voice": map[string]any{"voiceId": "flite-slt"}},
	})
	if !strings.HasPrefix(in.ID, "inst_") || in.AgentID != ag.ID || in.Name != "Berlin office" || in.PhoneNumber != "+4930123456" ||
		in.Status != "active" || in.Variables["city"] != "Berlin" || in.Overrides.FirstMessage == nil || *in.Overrides.FirstMessage != "Hallo!" ||
		in.Overrides.Prompt != nil || in.Overrides.Voice == nil || in.Overrides.Voice.Provider != "local" || in.Overrides.Voice.VoiceID != "flite-slt" {
		t.Fatalf("created: %+v", in)
	}
	if _, err := time.Parse(time.RFC3339, in.CreatedAt); err != nil || in.CreatedAt != in.UpdatedAt {
		t.Fatalf("times: %q %q", in.CreatedAt, in.UpdatedAt)
	}

	var got instanceBody
	res := n.Do("GET", base+"/"+in.ID, n.AdminKey, nil)
	res.JSON(t, &got)
	if res.Status != 200 || got.ID != in.ID || got.PhoneNumber != in.PhoneNumber || *got.Overrides.FirstMessage != "Hallo!" {
		t.Fatalf("get: %d %s", res.Status, res.Body)
	}

	// Update: fields present replace stored ones; overrides merge.
	res = n.Do("PUT", base+"/"+in.ID, n.AdminKey, map[string]any{
		"name": "Berlin", "status": "paused", "phoneNumber": "+4930999999", "overrides": map[string]any{"prompt": "Speak German."},
	})
	res.JSON(t, &got)
	if res.Status != 200 || got.Name != "Berlin" || got.Status != "paused" || got.PhoneNumber != "+4930999999" ||
		got.Overrides.Prompt == nil || *got.Overrides.Prompt != "Speak German." || *got.Overrides.FirstMessage != "Hallo!" ||
		got.Variables["city"] != "Berlin" || got.CreatedAt != in.CreatedAt {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	// null clears an override.
	res = n.Do("PUT", base+"/"+in.ID, n.AdminKey, map[string]any{"overrides": map[string]any{"firstMessage": nil}})
	res.JSON(t, &got)
	if res.Status != 200 || got.Overrides.FirstMessage != nil || got.Overrides.Prompt == nil {
		t.Fatalf("clear override: %d %s", res.Status, res.Body)
	}
	// The old number was released with the change; the new one is taken.
	other := createInstance(t, n, n.AdminKey, ag.ID, map[string]any{"name": "Second", "phoneNumber": "+4930123456"})
	wantInvalid(t, n.Do("POST", base, n.AdminKey, map[string]any{"name": "Third", "phoneNumber": "+4930999999"}), "phoneNumber")
	// Keeping one's own number is no conflict.
	if res := n.Do("PUT", base+"/"+in.ID, n.AdminKey, map[string]any{"phoneNumber": "+4930999999"}); res.Status != 200 {
		t.Fatalf("same number again: %d %s", res.Status, res.Body)
	}

	// Paging: three instances, one per page, in creation order.
	third := createInstance(t, n, n.AdminKey, ag.ID, map[string]any{"name": "Third", "phoneNumber": "+4930555555"})
	var ids []string
	cursor := ""
	for range 4 {
		var page listBody[instanceBody]
		res := n.Do("GET", base+"?limit=1"+cursor, n.AdminKey, nil)
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Data) != 1 {
			t.Fatalf("page: %d %s", res.Status, res.Body)
		}
		ids = append(ids, page.Data[0].ID)
		if !page.HasMore {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if !slices.Equal(ids, []string{in.ID, other.ID, third.ID}) {
		t.Fatalf("paged IDs %v", ids)
	}
	wantInvalid(t, n.Do("GET", base+"?limit=0&cursor=agent_01m00000000000000000000000", n.AdminKey, nil), "limit", "cursor")

	// Delete releases the number.
	if res := n.Do("DELETE", base+"/"+in.ID, n.AdminKey, nil); res.Status != 204 {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		if res := n.Do(method, base+"/"+in.ID, n.AdminKey, map[string]any{}); res.Status != 404 || res.Err(t).Code != "NOT_FOUND" {
			t.Fatalf("%s deleted instance: %d %s", method, res.Status, res.Body)
		}
	}
	createInstance(t, n, n.AdminKey, ag.ID, map[string]any{"name": "Reuse", "phoneNumber": "+4930999999"})

	// Everything, the number index included, survives a restart.
	n.Restart()
	wantInvalid(t, n.Do("POST", base, n.AdminKey, map[string]any{"name": "Dup", "phoneNumber": "+4930555555"}), "phoneNumber")
	var list listBody[instanceBody]
	n.Do("GET", base, n.AdminKey, nil).JSON(t, &list)
	if len(list.Data) != 3 || list.HasMore || list.NextCursor != nil {
		t.Fatalf("after restart: %+v", list)
	}
}

func TestInstanceValidation(t *testing.T) {
	n := servertest.Start(t, nil)
	ag := createAgent(t, n, n.AdminKey, "Desk")
	base := "/v1/agents/" + ag.ID + "/instances"
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name   string
		body   any
		fields []string
	}{
		{"empty object", map[string]any{}, []string{"name", "phoneNumber"}},
		{"not an object", `[1]`, []string{"body"}},
		{"malformed", `{"name":`, []string{"body"}},
		{"blank name", map[string]any{"name": "  ", "phoneNumber": "+14155550123"}, []string{"name"}},
		{"no plus", map[string]any{"name": "a", "phoneNumber": "14155550123"}, []string{"phoneNumber"}},
		{"leading zero", map[string]any{"name": "a", "phoneNumber": "+04155550123"}, []string{"phoneNumber"}},
		{"too short", map[string]any{"name": "a", "phoneNumber": "+123456"}, []string{"phoneNumber"}},
		{"too long", map[string]any{"name": "a", "phoneNumber": "+1234567890123456"}, []string{"phoneNumber"}},
		{"spaces", map[string]any{"name": "a", "phoneNumber": "+1 415 555 0123"}, []string{"phoneNumber"}},
		{"number type", map[string]any{"name": "a", "phoneNumber": 14155550123}, []string{"phoneNumber"}},
		{"status", map[string]any{"name": "a", "phoneNumber": "+14155550123", "status": "stopped"}, []string{"status"}},
		{"unknown field", map[string]any{"name": "a", "phoneNumber": "+14155550123", "agentId": ag.ID}, []string{"agentId"}},
		{"unknown override", map[string]any{"name": "a", "phoneNumber": "+14155550123", "overrides": map[string]any{"llm": "x"}}, []string{"overrides.llm"}},
		{"voice provider", map[string]any{"name": "a", "phoneNumber": "+14155550123",
			"overrides": map[string]any{"voice": map[string]any{"provider": "acme"}}}, []string{"overrides.voice.provider"}},
		{"greeting too long", map[string]any{"name": "a", "phoneNumber": "+14155550123",
			"overrides": map[string]any{"firstMessage": long}}, []string{"overrides.firstMessage"}},
		{"variable type", map[string]any{"name": "a", "phoneNumber": "+14155550123", "variables": map[string]any{"n": 1}}, []string{"variables.n"}},
		{"variables type", map[string]any{"name": "a", "phoneNumber": "+14155550123", "variables": []string{"x"}}, []string{"variables"}},
		{"several at once", map[string]any{"phoneNumber": "555", "status": 1}, []string{"name", "phoneNumber", "status"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantInvalid(t, n.With(t).Do("POST", base, n.AdminKey, tc.body), tc.fields...)
		})
	}

	// A refused update changes nothing.
	in := createInstance(t, n, n.AdminKey, ag.ID, map[string]any{"name": "Kept", "phoneNumber": "+14155550123"})
	wantInvalid(t, n.Do("PUT", base+"/"+in.ID, n.AdminKey, map[string]any{"name": "Changed", "phoneNumber": "nope"}), "phoneNumber")
	wantInvalid(t, n.Do("PUT", base+"/"+in.ID, n.AdminKey, map[string]any{"name": "Changed", "id": "inst_x"}), "id")
	var got instanceBody
	n.Do("GET", base+"/"+in.ID, n.AdminKey, nil).JSON(t, &got)
	if got.Name != "Kept" || got.PhoneNumber != "+14155550123" || got.UpdatedAt != in.UpdatedAt {
		t.Fatalf("after refused updates: %+v", got)
	}
}

// A number reaches one instance of one organization: no other instance,
// of any agent in any organization, may take it while it is held.
func TestInstanceNumberUniqueAcrossOrganizations(t *testing.T) {
	n := servertest.Start(t, nil)
	otherKey := n.CreateOrg("Other")
	mine := createAgent(t, n, n.AdminKey, "Mine")
	mine2 := createAgent(t, n, n.AdminKey, "Mine too")
	theirs := createAgent(t, n, otherKey, "Theirs")
	const number = "+14155550100"
	held := createInstance(t, n, n.AdminKey, mine.ID, map[string]any{"name": "Holder", "phoneNumber": number})

	wantInvalid(t, n.Do("POST", "/v1/agents/"+theirs.ID+"/instances", otherKey, map[string]any{"name": "Thief", "phoneNumber": number}), "phoneNumber")
	wantInvalid(t, n.Do("POST", "/v1/agents/"+mine2.ID+"/instances", n.AdminKey, map[string]any{"name": "Sibling", "phoneNumber": number}), "phoneNumber")
	res := n.Do("POST", "/v1/agents/"+theirs.ID+"/instances", otherKey, map[string]any{"name": "Thief", "phoneNumber": number})
	if strings.Contains(string(res.Body), held.ID) || strings.Contains(string(res.Body), mine.ID) {
		t.Fatalf("the refusal names the other organization's resources: %s", res.Body)
	}
	theirInst := createInstance(t, n, otherKey, theirs.ID, map[string]any{"name": "Theirs", "phoneNumber": "+14155550101"})
	wantInvalid(t, n.Do("PUT", "/v1/agents/"+theirs.ID+"/instances/"+theirInst.ID, otherKey, map[string]any{"phoneNumber": number}), "phoneNumber")

	// Once released, the number is free for anyone.
	if res := n.Do("DELETE", "/v1/agents/"+mine.ID+"/instances/"+held.ID, n.AdminKey, nil); res.Status != 204 {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if res := n.Do("PUT", "/v1/agents/"+theirs.ID+"/instances/"+theirInst.ID, otherKey, map[string]any{"phoneNumber": number}); res.Status != 200 {
		t.Fatalf("take the released number: %d %s", res.Status, res.Body)
	}
	// Their old number was released by the move.
	createInstance(t, n, n.AdminKey, mine.ID, map[string]any{"name": "Mine again", "phoneNumber": "+14155550101"})
	wantInvalid(t, n.Do("POST", "/v1/agents/"+mine.ID+"/instances", n.AdminKey, map[string]any{"name": "x", "phoneNumber": number}), "phoneNumber")
}

// Another organization's agent or instance is NOT_FOUND on every route.
func TestInstancesAreIsolatedByOrganization(t *testing.T) {
	n := servertest.Start(t, nil)
	otherKey := n.CreateOrg("Other")
	mine := createAgent(t, n, n.AdminKey, "Mine")
	theirs := createAgent(t, n, otherKey, "Theirs")
	in := createInstance(t, n, n.AdminKey, mine.ID, map[string]any{"name": "Mine", "phoneNumber": "+14155550200"})
	body := map[string]any{"name": "x", "phoneNumber": "+14155550201"}
	for _, tc := range []struct{ method, path string }{
		{"POST", "/v1/agents/" + mine.ID + "/instances"},
		{"GET", "/v1/agents/" + mine.ID + "/instances"},
		{"GET", "/v1/agents/" + mine.ID + "/instances/" + in.ID},
		{"PUT", "/v1/agents/" + mine.ID + "/instances/" + in.ID},
		{"DELETE", "/v1/agents/" + mine.ID + "/instances/" + in.ID},
		// Their own agent in the path does not reach my instance either.
		{"GET", "/v1/agents/" + theirs.ID + "/instances/" + in.ID},
		{"PUT", "/v1/agents/" + theirs.ID + "/instances/" + in.ID},
		{"DELETE", "/v1/agents/" + theirs.ID + "/instances/" + in.ID},
		{"GET", "/v1/agents/" + mine.ID + "/instances/not-an-id"},
	} {
		res := n.Do(tc.method, tc.path, otherKey, body)
		if res.Status != 404 || res.Err(t).Code != "NOT_FOUND" {
			t.Errorf("%s %s from another organization: %d %s", tc.method, tc.path, res.Status, res.Body)
		}
	}
	var list listBody[instanceBody]
	n.Do("GET", "/v1/agents/"+theirs.ID+"/instances", otherKey, nil).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("their list shows %+v", list.Data)
	}
	// Nothing of mine changed.
	var got instanceBody
	if res := n.Do("GET", "/v1/agents/"+mine.ID+"/instances/"+in.ID, n.AdminKey, nil); res.Status != 200 {
		t.Fatalf("my instance: %d %s", res.Status, res.Body)
	} else if res.JSON(t, &got); got.Name != "Mine" || got.PhoneNumber != "+14155550200" {
		t.Fatalf("my instance changed: %+v", got)
	}
}

// tokenClaims reads the claims of the stream token in a TwiML answer. The
// signature is the stream's to check; the test only reads what is vouched.
func tokenClaims(t *testing.T, body []byte) twilio.Claims {
	t.Helper()
	var doc twimlDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("TwiML: %v: %s", err, body)
	}
	for _, p := range doc.Connect.Stream.Parameters {
		if p.Name != twilio.TokenParam {
			continue
		}
		payload, _, _ := strings.Cut(p.Value, ".")
		raw, err := base64.RawURLEncoding.DecodeString(payload)
		var c twilio.Claims
		if err != nil || json.Unmarshal(raw, &c) != nil {
			t.Fatalf("token payload: %q", p.Value)
		}
		return c
	}
	t.Fatalf("TwiML has no stream token: %s", body)
	return twilio.Claims{}
}

func sayHangup(t *testing.T, status int, body []byte) string {
	t.Helper()
	var doc twimlDoc
	if status != 200 || xml.Unmarshal(body, &doc) != nil || doc.Hangup == nil || doc.Connect.Stream.URL != "" {
		t.Fatalf("want <Say>…<Hangup/>: %d %s", status, body)
	}
	return doc.Say
}

func TestTwilioWebhookRoutesToInstances(t *testing.T) {
	n := servertest.Start(t, nil)
	ag := createAgent(t, n, n.AdminKey, "Desk")
	other := createAgent(t, n, n.AdminKey, "Other desk")
	const number = "+14155550300"
	in := createInstance(t, n, n.AdminKey, ag.ID, map[string]any{"name": "Line", "phoneNumber": number})
	paused := createInstance(t, n, n.AdminKey, ag.ID, map[string]any{"name": "Paused", "phoneNumber": "+14155550301", "status": "paused"})
	called := func(to string) url.Values {
		f := callForm()
		f.Set("To", to)
		return f
	}

	t.Run("by called number", func(t *testing.T) {
		status, body := postForm(t, n, "/v1/sessions/twilio", called(number), "")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if c := tokenClaims(t, body); c.InstanceID != in.ID || c.AgentID != ag.ID || c.OrgID == "" || c.To != number {
			t.Fatalf("claims %+v", c)
		}
	})
	t.Run("by instanceId, before agentId and number", func(t *testing.T) {
		status, body := postForm(t, n, "/v1/sessions/twilio?agentId="+other.ID+"&instanceId="+in.ID, called("+14155550301"), "")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if c := tokenClaims(t, body); c.InstanceID != in.ID || c.AgentID != ag.ID {
			t.Fatalf("claims %+v", c)
		}
	})
	t.Run("by agentId, before number", func(t *testing.T) {
		status, body := postForm(t, n, "/v1/sessions/twilio?agentId="+other.ID, called(number), "")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if c := tokenClaims(t, body); c.InstanceID != "" || c.AgentID != other.ID {
			t.Fatalf("claims %+v", c)
		}
	})
	t.Run("paused instance", func(t *testing.T) {
		for _, path := range []string{"/v1/sessions/twilio", "/v1/sessions/twilio?instanceId=" + paused.ID} {
			status, body := postForm(t, n, path, called("+14155550301"), "")
			if say := sayHangup(t, status, body); say != "This line is not available right now." {
				t.Fatalf("%s: said %q", path, say)
			}
		}
	})
	t.Run("not in service", func(t *testing.T) {
		for _, tc := range []struct{ path, to string }{
			{"/v1/sessions/twilio", "+14155550399"},                                    // unknown number
			{"/v1/sessions/twilio", "not a number"},                                    // no number at all
			{"/v1/sessions/twilio?instanceId=inst_01m00000000000000000000000", number}, // unknown instance
			{"/v1/sessions/twilio?instanceId=" + ag.ID, number},                        // not an instance ID
		} {
			status, body := postForm(t, n, tc.path, called(tc.to), "")
			if say := sayHangup(t, status, body); !strings.Contains(say, "not in service") {
				t.Errorf("%s to %s: said %q", tc.path, tc.to, say)
			}
		}
	})
	t.Run("resumed instance answers again", func(t *testing.T) {
		if res := n.Do("PUT", "/v1/agents/"+ag.ID+"/instances/"+paused.ID, n.AdminKey, map[string]any{"status": "active"}); res.Status != 200 {
			t.Fatalf("resume: %d %s", res.Status, res.Body)
		}
		status, body := postForm(t, n, "/v1/sessions/twilio", called("+14155550301"), "")
		if status != 200 || tokenClaims(t, body).InstanceID != paused.ID {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("agent deleted", func(t *testing.T) {
		if res := n.Do("DELETE", "/v1/agents/"+ag.ID, n.AdminKey, nil); res.Status != 204 {
			t.Fatalf("delete agent: %d", res.Status)
		}
		status, body := postForm(t, n, "/v1/sessions/twilio", called(number), "")
		if say := sayHangup(t, status, body); !strings.Contains(say, "not in service") {
			t.Fatalf("said %q", say)
		}
	})
}

// greet places a call and returns the greeting as heard and as stored.
func greet(t *testing.T, n *servertest.Node, opts twiliotest.Options) (twiliotest.Utterance, conversationBody) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var before listBody[conversationBody]
	n.Do("GET", "/v1/conversations?limit=100", n.AdminKey, nil).JSON(t, &before)
	opts.BaseURL = n.URL
	call, err := twiliotest.Dial(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer call.Close()
	greeting, err := call.WaitForAgent(ctx, 1200*time.Millisecond)
	if err != nil {
		t.Fatalf("no greeting: %v", err)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	// The conversation is stored when the session ends.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list listBody[conversationBody]
		n.Do("GET", "/v1/conversations?limit=100", n.AdminKey, nil).JSON(t, &list)
		if len(list.Data) > len(before.Data) {
			for _, c := range list.Data {
				if !slices.ContainsFunc(before.Data, func(b conversationBody) bool { return b.ID == c.ID }) {
					return greeting, c
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("conversation not stored")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A call to an instance's number is answered with the instance's
// greeting, variables and voice, not the agent's.
func TestInstanceCallAppliesOverrides(t *testing.T) {
	n := servertest.Start(t, nil)
	res := n.Do("POST", "/v1/agents", n.AdminKey, map[string]any{
		"name": "Desk", "firstMessage": "Hello, this is the {{city}} {{team}} desk.",
		"variables": map[string]string{"city": "Paris", "team": "sales"},
		"voice":     map[string]any{"provider": "local", "voiceId": "flite-kal16"},
	})
	var ag agentBody
	res.JSON(t, &ag)
	const number = "+14155550400"
	createInstance(t, n, n.AdminKey, ag.ID, map[string]any{
		"name": "Berlin", "phoneNumber": number, "variables": map[string]string{"city": "Berlin"},
		"overrides": map[string]any{"firstMessage": "Welcome to the {{city}} {{team}} line.", "voice": map[string]any{"voiceId": "flite-slt"}},
	})

	agentHeard, agentConv := greet(t, n, twiliotest.Options{AgentID: ag.ID, To: "+14155550499"})
	instHeard, instConv := greet(t, n, twiliotest.Options{To: number})

	if len(agentConv.Messages) == 0 || agentConv.Messages[0].Role != "assistant" || agentConv.Messages[0].Text != "Hello, this is the Paris sales desk." {
		t.Fatalf("agent's call: %+v", agentConv.Messages)
	}
	if len(instConv.Messages) == 0 || instConv.Messages[0].Role != "assistant" || instConv.Messages[0].Text != "Welcome to the Berlin sales line." {
		t.Fatalf("instance's call: %+v", instConv.Messages)
	}
	// The instance speaks in its own voice: flite's slt is a female voice,
	// several semitones above kal16.
	agentF0, instF0 := f0Of(t, agentHeard.PCM8k, 8000), f0Of(t, instHeard.PCM8k, 8000)
	if st := semitones(instF0, agentF0); st < 3 {
		t.Fatalf("instance voice at %.0f Hz, agent's at %.0f Hz (%.1f semitones apart); want the instance's voice", instF0, agentF0, st)
	} else {
		t.Logf("greeting pitch: agent %.0f Hz, instance %.0f Hz", agentF0, instF0)
	}
}
