package local

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

var (
	bookTool = llm.Tool{
		Name:        "book_appointment",
		Description: "Books an appointment for the caller.",
		Parameters: json.RawMessage(`{"type":"object","properties":{
			"date":{"type":"string","format":"date","description":"Appointment date"},
			"time":{"type":"string","description":"Appointment time"},
			"name":{"type":"string","description":"Caller's full name"},
			"phone":{"type":"string","description":"Callback phone number"}},
			"required":["date","time","name"]}`),
	}
	cancelTool = llm.Tool{
		Name:        "cancel_appointment",
		Description: "Cancel an existing appointment.",
		Parameters: json.RawMessage(`{"type":"object","properties":{
			"appointment_id":{"type":"string","description":"Appointment ID"}},"required":["appointment_id"]}`),
	}
	transferTool = llm.Tool{Name: "transfer_call", Description: "Transfer the caller to a human agent.", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}
	endTool      = llm.Tool{Name: "end_call", Description: "End the call.", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}
	bookingTools = []llm.Tool{bookTool, cancelTool, transferTool, endTool}
)

const bookingPrompt = "You are the receptionist at Bright Smile Dental."

func fixedClock() time.Time { return now }

// result is what one Stream call produced.
type result struct {
	text   string
	deltas int
	calls  []llm.ToolCall
	done   llm.Event
}

func stream(t *testing.T, ctx context.Context, e *Engine, req llm.Request) result {
	t.Helper()
	var r result
	err := e.Stream(ctx, req, func(ev llm.Event) error {
		if r.done.Done {
			t.Fatalf("event after Done: %+v", ev)
		}
		switch {
		case ev.Done:
			r.done = ev
		case ev.ToolCall != nil:
			r.calls = append(r.calls, *ev.ToolCall)
		default:
			r.text += ev.TextDelta
			r.deltas++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if !r.done.Done {
		t.Fatal("no Done event")
	}
	return r
}

// conversation plays user turns against the engine, appending each reply
// (with its tool calls) the way a session records it.
type conversation struct {
	t     *testing.T
	e     *Engine
	ctx   context.Context
	tools []llm.Tool
	msgs  []llm.Message
}

func newConversation(t *testing.T, e *Engine, system string, tools []llm.Tool) *conversation {
	return &conversation{t: t, e: e, ctx: context.Background(), tools: tools,
		msgs: []llm.Message{{Role: llm.RoleSystem, Content: system}, {Role: llm.RoleAssistant, Content: "Hi, thanks for calling. How can I help?"}}}
}

func (c *conversation) turn() result {
	c.t.Helper()
	r := stream(c.t, c.ctx, c.e, llm.Request{Messages: c.msgs, Tools: c.tools})
	c.msgs = append(c.msgs, llm.Message{Role: llm.RoleAssistant, Content: r.text, ToolCalls: r.calls})
	return r
}

func (c *conversation) say(text string) result {
	c.t.Helper()
	c.msgs = append(c.msgs, llm.Message{Role: llm.RoleUser, Content: text})
	return c.turn()
}

func (c *conversation) toolResult(call llm.ToolCall, content string) result {
	c.t.Helper()
	c.msgs = append(c.msgs, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Name: call.Name, Content: content})
	return c.turn()
}

func wantText(t *testing.T, r result, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.text, p) {
			t.Fatalf("reply %q does not contain %q", r.text, p)
		}
	}
}

func wantNoCalls(t *testing.T, r result) {
	t.Helper()
	if len(r.calls) != 0 || r.done.FinishReason != llm.FinishStop {
		t.Fatalf("calls %+v, finish %q; want none, stop (reply %q)", r.calls, r.done.FinishReason, r.text)
	}
}

func wantCall(t *testing.T, r result, name string, args map[string]any) llm.ToolCall {
	t.Helper()
	if len(r.calls) != 1 {
		t.Fatalf("calls = %+v; want one call to %s (reply %q)", r.calls, name, r.text)
	}
	c := r.calls[0]
	if c.Name != name || r.done.FinishReason != llm.FinishToolCalls {
		t.Fatalf("call %s finish %q; want %s, tool_calls", c.Name, r.done.FinishReason, name)
	}
	var got map[string]any
	if err := json.Unmarshal(c.Arguments, &got); err != nil {
		t.Fatalf("arguments %s: %v", c.Arguments, err)
	}
	if len(got) != len(args) {
		t.Fatalf("arguments %s; want %v", c.Arguments, args)
	}
	for k, v := range args {
		if got[k] != v {
			t.Fatalf("arguments %s: %s = %v; want %v", c.Arguments, k, got[k], v)
		}
	}
	return c
}

func TestBookingOverSeveralTurns(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)

	r := c.say("Hi, I'd like to schedule an appointment please")
	wantNoCalls(t, r)
	wantText(t, r, "What date would you like?")

	r = c.say("next Friday")
	wantNoCalls(t, r)
	wantText(t, r, "What time would you like?")

	r = c.say("ten thirty")
	wantNoCalls(t, r)
	wantText(t, r, "May I have your name, please?")

	r = c.say("it's John Smith")
	call := wantCall(t, r, "book_appointment", map[string]any{"date": "2025-12-05", "time": "10:30", "name": "John Smith"})
	if string(call.Arguments) != `{"date":"2025-12-05","time":"10:30","name":"John Smith"}` {
		t.Fatalf("arguments %s not in schema order", call.Arguments)
	}
	if call.ID != "call_1" {
		t.Fatalf("call ID %q; want call_1", call.ID)
	}

	r = c.toolResult(call, `{"status":"confirmed","confirmationNumber":"BK42"}`)
	wantNoCalls(t, r)
	wantText(t, r, "Your confirmation number is B K 4 2.", "anything else")

	r = c.say("no thanks")
	wantCall(t, r, "end_call", map[string]any{})
	wantText(t, r, "Goodbye")
	if r.calls[0].ID != "call_2" {
		t.Fatalf("second call ID %q; want call_2", r.calls[0].ID)
	}
}

func TestBookingInOneUtterance(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	r := c.say("Can I book an appointment for tomorrow at 3pm? My name is Ana Lopez and my number is five five five, one two three, four five six seven.")
	wantCall(t, r, "book_appointment", map[string]any{"date": "2025-12-04", "time": "15:00", "name": "Ana Lopez", "phone": "5551234567"})
}

func TestBookingRemembersAnswersGivenEarly(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	wantText(t, c.say("I need to book something, this is Maria"), "What date")
	// Answering the date and volunteering the time skips the time question.
	r := c.say("December 12th at half past two")
	wantCall(t, r, "book_appointment", map[string]any{"date": "2025-12-12", "time": "14:30", "name": "Maria"})
}

func TestBookingWithConfirmation(t *testing.T) {
	e := New(Options{Now: fixedClock, Confirm: true})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	c.say("book an appointment on Monday at 9am, my name is Sam Lee")
	r := c.msgs[len(c.msgs)-1]
	if !strings.Contains(r.Content, "Just to confirm") || !strings.Contains(r.Content, "Monday, December 8") || !strings.Contains(r.Content, "9 AM") || !strings.Contains(r.Content, "Sam Lee") {
		t.Fatalf("read-back %q", r.Content)
	}
	wantText(t, c.say("no"), "what would you like to change")
	r2 := c.say("make it 4pm")
	wantNoCalls(t, r2)
	wantText(t, r2, "4 PM", "Shall I go ahead?")
	wantCall(t, c.say("yes please"), "book_appointment", map[string]any{"date": "2025-12-08", "time": "16:00", "name": "Sam Lee"})
}

func TestRepeatDuringReadBack(t *testing.T) {
	e := New(Options{Now: fixedClock, Confirm: true})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	first := c.say("book for three pm on the twelfth, my name's Raj Patel")
	wantText(t, first, "Just to confirm: book appointment on Friday, December 12, at 3 PM, for Raj Patel. Shall I go ahead?")
	// Three repeats are not three failures: the read-back survives them.
	for range 3 {
		if r := c.say("sorry, can you repeat that?"); r.text != first.text {
			t.Fatalf("repeat gave %q; want %q", r.text, first.text)
		}
	}
	wantCall(t, c.say("yes"), "book_appointment", map[string]any{"date": "2025-12-12", "time": "15:00", "name": "Raj Patel"})
}

func TestRepromptAndGiveUp(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	c.say("I want to make a reservation")
	wantText(t, c.say("purple"), "Sorry, I didn't catch that. What date would you like?")
	wantText(t, c.say("banana"), "What date would you like?")
	r := c.say("elephant")
	wantNoCalls(t, r)
	wantText(t, r, "trouble understanding")
	// The task is gone: a date now is not taken as an answer.
	wantNoCalls(t, c.say("tomorrow"))
}

func TestNeverMindDropsTheTask(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	c.say("book an appointment")
	wantText(t, c.say("never mind"), "no problem")
	r := c.say("tomorrow")
	wantNoCalls(t, r)
	if strings.Contains(r.text, "What time") {
		t.Fatalf("task survived never mind: %q", r.text)
	}
}

func TestSwitchingTaskMidway(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	c.say("book an appointment")
	wantText(t, c.say("actually I need to cancel my appointment"), "appointment ID")
	wantCall(t, c.say("four five six seven"), "cancel_appointment", map[string]any{"appointment_id": "4567"})
}

func TestIntent(t *testing.T) {
	tests := []struct {
		name, say, tool string // tool "" means no call
		text            string
	}{
		{"transfer to a person", "Can I speak to a real person please?", "transfer_call", "transfer you"},
		{"transfer to a human", "I want a human", "transfer_call", "transfer you"},
		{"representative", "representative", "transfer_call", "transfer you"},
		{"cancel", "I need to cancel my appointment", "", "appointment ID"},
		{"goodbye", "okay goodbye", "end_call", "Goodbye"},
		{"hang up", "just hang up", "end_call", "Goodbye"},
		{"that's all", "no thanks that's it", "end_call", "Goodbye"},
		{"fallback", "purple monkey dishwasher", "", "book an appointment or cancel an existing appointment"},
		{"greeting", "hello", "", "How can I help you today?"},
		{"how are you", "Hi, how are you?", "", "doing well"},
		{"thanks", "thank you", "", "You're welcome"},
		{"acknowledgement", "okay great", "", "Is there anything else I can help you with?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Options{Now: fixedClock})
			c := newConversation(t, e, bookingPrompt, bookingTools)
			r := c.say(tt.say)
			if tt.tool == "" {
				wantNoCalls(t, r)
			} else {
				wantCall(t, r, tt.tool, map[string]any{})
			}
			wantText(t, r, tt.text)
		})
	}
}

func TestEndingWithoutEndTool(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, []llm.Tool{bookTool})
	r := c.say("bye")
	wantNoCalls(t, r)
	wantText(t, r, "Goodbye")
}

func TestAmbiguousIntentFallsBack(t *testing.T) {
	tools := []llm.Tool{
		{Name: "check_order_status", Description: "Check the status of an order."},
		{Name: "check_refund_status", Description: "Check the status of a refund."},
	}
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, "", tools)
	r := c.say("I want to check the status")
	wantNoCalls(t, r)
	wantText(t, r, "not sure I understood", "check the status of an order or check the status of a refund")
	// Naming one makes it clear.
	r = c.say("I want to check my refund")
	wantCall(t, r, "check_refund_status", map[string]any{})
}

// fakeKnowledge returns its passages for any query, in order: ranking the
// sentences is the engine's job.
type fakeKnowledge struct {
	passages []Passage
	queries  []string
	err      error
}

func (f *fakeKnowledge) Search(_ context.Context, query string, topK int) ([]Passage, error) {
	f.queries = append(f.queries, query)
	if f.err != nil {
		return nil, f.err
	}
	return f.passages[:min(topK, len(f.passages))], nil
}

var clinicPassages = []Passage{
	{Title: "Parking", DocumentID: "doc_parking", Score: 3.1, Text: "Free parking is available behind the building. The garage on Elm Street also validates tickets for patients."},
	{Title: "Opening hours", DocumentID: "doc_hours", Score: 2.7, Text: "# Opening hours\nBright Smile Dental opened in 1998 and has served the valley ever since, growing from one chair to twelve with a team of hygienists, assistants and three dentists who all trained locally. We are open Monday to Friday from 8 am to 6 pm. On Saturday we are open from 9 am to 1 pm. We are closed on Sundays and public holidays."},
	{Title: "Insurance", DocumentID: "doc_insurance", Score: 1.2, Text: "We accept most major dental insurance plans, including Delta Dental and Cigna. Ask {{clinic_name}} staff about payment plans."},
}

func TestKnowledgeAnswers(t *testing.T) {
	tests := []struct {
		name, question string
		doc            string   // "" means no answer
		want           []string // in the answer
		notWant        []string
	}{
		{"hours on saturday", "What are your opening hours on Saturday?", "doc_hours", []string{"Saturday", "9 am to 1 pm"}, []string{"1998"}},
		{"sunday", "are you open on sundays?", "doc_hours", []string{"closed on Sundays"}, []string{"1998", "Opening hours"}},
		{"parking", "Where can I park?", "doc_parking", []string{"Free parking"}, nil},
		{"insurance with variable", "do you take Cigna insurance, or payment plans?", "doc_insurance", []string{"Delta Dental and Cigna", "Ask Bright Smile staff"}, []string{"{{"}},
		{"unknown", "Do you sell cars?", "", []string{"I don't have that information", "book an appointment"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &fakeKnowledge{passages: clinicPassages}
			e := New(Options{Now: fixedClock, Knowledge: k})
			sys := FormatSystemPrompt(bookingPrompt, map[string]string{"clinic_name": "Bright Smile"}, nil)
			c := newConversation(t, e, sys, bookingTools)
			ctx, cites := WithCitations(context.Background())
			c.ctx = ctx
			r := c.say(tt.question)
			wantNoCalls(t, r)
			wantText(t, r, tt.want...)
			for _, nw := range tt.notWant {
				if strings.Contains(r.text, nw) {
					t.Fatalf("answer %q contains %q", r.text, nw)
				}
			}
			if n := wordCount(r.text); tt.doc != "" && n > maxAnswerWords {
				t.Fatalf("answer has %d words: %q", n, r.text)
			}
			got := cites.Passages()
			switch {
			case tt.doc == "" && len(got) != 0:
				t.Fatalf("citations %+v for no answer", got)
			case tt.doc != "" && (len(got) != 1 || got[0].DocumentID != tt.doc):
				t.Fatalf("citations %+v; want %s", got, tt.doc)
			}
			if len(k.queries) != 1 || k.queries[0] != tt.question {
				t.Fatalf("queries %q", k.queries)
			}
		})
	}
}

func TestKnowledgeFromSystemPrompt(t *testing.T) {
	e := New(Options{Now: fixedClock})
	sys := FormatSystemPrompt(bookingPrompt, nil, clinicPassages)
	c := newConversation(t, e, sys, bookingTools)
	ctx, cites := WithCitations(context.Background())
	c.ctx = ctx
	r := c.say("when are you open on saturday?")
	wantText(t, r, "On Saturday we are open from 9 am to 1 pm.")
	if got := cites.Passages(); len(got) != 1 || got[0].DocumentID != "doc_hours" {
		t.Fatalf("citations %+v", got)
	}
}

func TestKnowledgeFailureIsSpokenNotReturned(t *testing.T) {
	k := &fakeKnowledge{err: errors.New("index unavailable")}
	e := New(Options{Now: fixedClock, Knowledge: k})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	wantText(t, c.say("what are your hours?"), "I don't have that information")
}

func TestQuestionWhileFillingSlots(t *testing.T) {
	k := &fakeKnowledge{passages: clinicPassages}
	e := New(Options{Now: fixedClock, Knowledge: k})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	c.say("book an appointment for Saturday")
	r := c.say("when are you open on Saturday?")
	wantNoCalls(t, r)
	wantText(t, r, "9 am to 1 pm", "What time would you like?")
	r = c.say("11")
	wantNoCalls(t, r)
	wantText(t, r, "name")
	wantCall(t, c.say("Kim"), "book_appointment", map[string]any{"date": "2025-12-06", "time": "11:00", "name": "Kim"})
}

func TestToolResults(t *testing.T) {
	tests := []struct {
		name, content string
		want          string
	}{
		{"message", `{"ok":true,"message":"Your appointment is booked for Friday."}`, "Your appointment is booked for Friday. Is there anything else"},
		{"wrapped", `{"ok":true,"output":{"message":"All set."}}`, "All set."},
		{"status", `{"status":"pending"}`, "Done. The status is pending."},
		{"fields", `{"balance":42.5,"due":"2025-12-20"}`, "Done. The balance is 42.5, and the due is Saturday, December 20."},
		{"error string", `{"error":"That slot is already taken."}`, "I'm sorry, I couldn't complete that: that slot is already taken."},
		{"technical error", `{"ok":false,"error":{"message":"dial tcp 10.0.0.1:443: connection refused"}}`, "I'm sorry, something went wrong"},
		{"plain text", `Booked.`, "Booked."},
		{"empty object", `{}`, "Done."},
		{"list", `[{"a":1},{"a":2},{"a":3}]`, "I found 3 results."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Options{Now: fixedClock})
			c := newConversation(t, e, bookingPrompt, bookingTools)
			call := llm.ToolCall{ID: "call_1", Name: "book_appointment", Arguments: json.RawMessage(`{}`)}
			c.msgs = append(c.msgs, llm.Message{Role: llm.RoleUser, Content: "book it"}, llm.Message{Role: llm.RoleAssistant, Content: "One moment, please.", ToolCalls: []llm.ToolCall{call}})
			// The result names only the call ID, as some sessions send it.
			c.msgs = append(c.msgs, llm.Message{Role: llm.RoleTool, ToolCallID: "call_1", Content: tt.content})
			r := c.turn()
			wantNoCalls(t, r)
			wantText(t, r, tt.want)
		})
	}
}

func TestEndCallResultSaysNothing(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	r := c.say("bye")
	r = c.toolResult(r.calls[0], `{"ok":true}`)
	if r.text != "" || r.deltas != 0 {
		t.Fatalf("reply %q after end_call", r.text)
	}
}

func TestNoUserMessageGreets(t *testing.T) {
	e := New(Options{Now: fixedClock})
	r := stream(t, context.Background(), e, llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Content: bookingPrompt}}, Tools: bookingTools})
	wantNoCalls(t, r)
	wantText(t, r, "How can I help you today?")
}

func TestSilenceRepeatsTheQuestion(t *testing.T) {
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, bookingPrompt, bookingTools)
	c.say("book an appointment")
	wantText(t, c.turn(), "Are you still there? What date would you like?")
}

func TestStreamEvents(t *testing.T) {
	e := New(Options{Now: fixedClock})
	req := llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Content: "Be nice."}, {Role: llm.RoleUser, Content: "book an appointment please"}}, Tools: bookingTools}
	r := stream(t, context.Background(), e, req)
	if r.deltas < 5 {
		t.Fatalf("%d deltas for %q; want one per word", r.deltas, r.text)
	}
	if r.done.Usage == nil || r.done.Usage.InputTokens != 6 || r.done.Usage.OutputTokens != wordCount(r.text) {
		t.Fatalf("usage %+v for %q", r.done.Usage, r.text)
	}
}

func TestStreamStopsOnCancelAndEmitError(t *testing.T) {
	e := New(Options{Now: fixedClock})
	req := llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hello there"}}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := e.Stream(ctx, req, func(ev llm.Event) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("err %v after %d events; want context.Canceled after 1", err, n)
	}

	stop := errors.New("listener gone")
	n = 0
	err = e.Stream(context.Background(), req, func(ev llm.Event) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d events; want the emit error after 1", err, n)
	}
}

func TestInvalidRequests(t *testing.T) {
	e := New(Options{Now: fixedClock})
	emit := func(llm.Event) error { return nil }
	if err := e.Stream(context.Background(), llm.Request{}, emit); !errors.Is(err, llm.ErrInvalidRequest) {
		t.Fatalf("no messages: %v", err)
	}
	bad := llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}, Tools: []llm.Tool{{Name: "x", Parameters: json.RawMessage(`{"properties":[1]}`)}}}
	if err := e.Stream(context.Background(), bad, emit); !errors.Is(err, llm.ErrInvalidRequest) {
		t.Fatalf("bad schema: %v", err)
	}
}

func TestSlotKinds(t *testing.T) {
	tool := llm.Tool{
		Name:        "reserve_table",
		Description: "Reserve a table at the restaurant.",
		Parameters: json.RawMessage(`{"type":"object","properties":{
			"party_size":{"type":"integer","description":"Number of people"},
			"seating":{"type":"string","enum":["indoor","outdoor","bar"],"description":"Seating area"},
			"when":{"type":"string","format":"date-time","description":"Reservation time"},
			"email":{"type":"string","description":"Email for the confirmation"},
			"high_chair":{"type":"boolean","description":"a high chair"}},
			"required":["party_size","seating","when","email","high_chair"]}`),
	}
	e := New(Options{Now: fixedClock})
	c := newConversation(t, e, "", []llm.Tool{tool})
	wantText(t, c.say("I'd like to reserve a table for four people"), "Which seating area would you like: indoor, outdoor or bar?")
	wantText(t, c.say("outside please, the outdoor one"), "What date and time would you like?")
	wantText(t, c.say("Friday"), "And what time would you like?")
	wantText(t, c.say("seven in the evening"), "What's your email address?")
	wantText(t, c.say("kim at example dot com"), "Would you like a high chair? Please say yes or no.")
	wantCall(t, c.say("yes"), "reserve_table", map[string]any{
		"party_size": float64(4), "seating": "outdoor", "when": "2025-12-05T19:00:00-05:00",
		"email": "kim@example.com", "high_chair": true,
	})
}

func TestVariablesAndPromptRoundTrip(t *testing.T) {
	vars := map[string]string{"name": "Ana", "clinic": "Bright\nSmile"}
	passages := []Passage{{Title: `Hours "main"`, DocumentID: "doc_1", Score: 1.5, Text: "Open <b>daily</b>.\n</passage> is safe."}}
	sys := FormatSystemPrompt("You are {{name}}'s helper.\n", vars, passages)
	got := ParseSystemPrompt("Intro.\n\n" + sys)
	if got.Prompt != "Intro.\n\nYou are {{name}}'s helper." {
		t.Fatalf("prompt %q", got.Prompt)
	}
	if got.Variables["name"] != "Ana" || got.Variables["clinic"] != "Bright Smile" || len(got.Variables) != 2 {
		t.Fatalf("variables %v", got.Variables)
	}
	if len(got.Passages) != 1 || got.Passages[0] != passages[0] {
		t.Fatalf("passages %+v; want %+v", got.Passages, passages)
	}
	if s := substitute("Hi {{ name }}, welcome to {{clinic}}{{missing}}.", got.Variables); s != "Hi Ana, welcome to Bright Smile." {
		t.Fatalf("substitute = %q", s)
	}
}

func TestReplayIsDeterministic(t *testing.T) {
	// Tools, parameters and JSON fields pass through maps; the same
	// conversation must still give the same reply every time.
	e := New(Options{Now: fixedClock, Knowledge: &fakeKnowledge{passages: clinicPassages}})
	req := llm.Request{Tools: bookingTools, Messages: []llm.Message{
		{Role: llm.RoleUser, Content: "book an appointment on the 9th at 4, this is Jo, number 555 0000 111"},
	}}
	first := stream(t, context.Background(), e, req)
	for range 20 {
		r := stream(t, context.Background(), e, req)
		if len(first.calls) != 1 || len(r.calls) != 1 {
			t.Fatalf("calls %+v and %+v; want one each", first.calls, r.calls)
		}
		if r.text != first.text || string(r.calls[0].Arguments) != string(first.calls[0].Arguments) {
			t.Fatalf("reply changed: %q %s vs %q %s", r.text, r.calls[0].Arguments, first.text, first.calls[0].Arguments)
		}
	}
}
