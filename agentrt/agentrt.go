package agentrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/actors/tool"
	"github.com/switchboard-voice/switchboard/providers/engines"
	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/llm/local"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/toolrun"
)

// Passages is how many knowledge passages each turn retrieves.
const Passages = 3

// MaxToolRounds bounds the model → tool → model loop of one turn.
const MaxToolRounds = 4

// endCallTool is offered to every agent that defines no end_call tool of
// its own, as voice sessions always have.
var endCallTool = llm.Tool{
	Name:        "end_call",
	Description: "End the call when the caller says goodbye or has nothing more to ask.",
	Parameters:  json.RawMessage(`{"type":"object","properties":{}}`),
}

// Deps are what a Runtime talks to.
type Deps struct {
	Root                       *actor.RootContext
	Agents, Tools, Collections *actor.PID
	Engines                    *engines.Set
	Runner                     *toolrun.Runner
	// Timeout bounds each actor request (default 10 s).
	Timeout time.Duration
	Log     *slog.Logger
}

// Runtime builds agents ready for turns. It holds no per-agent state and is
// safe for concurrent use.
type Runtime struct {
	d Deps
}

// New returns a Runtime.
func New(d Deps) *Runtime {
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Runtime{d: d}
}

// Agent is an agent ready for turns: its definition, its tools as they were
// when it was loaded, and its language model. Load one per turn (or per
// session): it is a snapshot.
type Agent struct {
	rt    *Runtime
	Def   *resource.Agent
	Tools []tool.Tool
	Model llm.Model
}

// Load reads the agent of orgID (NOT_FOUND when it is another
// organization's) with its tools and model.
func (rt *Runtime) Load(orgID, agentID string) (*Agent, error) {
	a, err := actors.Ask[*resource.Agent](rt.d.Root, rt.d.Agents, &agent.Get{OrgID: orgID, ID: agentID}, rt.d.Timeout)
	if err != nil {
		return nil, err
	}
	return rt.Bind(a)
}

// Bind completes an agent definition the caller already holds (a voice
// session has one) with its tools and model.
func (rt *Runtime) Bind(a *resource.Agent) (*Agent, error) {
	all, err := actors.Ask[*tool.AllResult](rt.d.Root, rt.d.Tools, &tool.All{OrgID: a.OrganizationID, AgentID: a.ID}, rt.d.Timeout)
	if err != nil {
		return nil, err
	}
	model, err := rt.d.Engines.Model(a.LLM.Provider)
	if err != nil {
		return nil, &resource.Problem{Code: resource.CodeProviderUnavailable, Message: "the agent's llm provider is not configured on this server"}
	}
	return &Agent{rt: rt, Def: a, Tools: all.Items, Model: model}, nil
}

// LLMTools are the tools offered to the model: the agent's, then end_call
// unless the agent defines its own.
func (a *Agent) LLMTools() []llm.Tool {
	out := make([]llm.Tool, 0, len(a.Tools)+1)
	hasEnd := false
	for _, t := range a.Tools {
		out = append(out, llm.Tool{Name: t.Name, Description: t.Description, Parameters: t.Parameters})
		hasEnd = hasEnd || t.Type == toolrun.TypeEndCall || t.Name == endCallTool.Name
	}
	if !hasEnd {
		out = append(out, endCallTool)
	}
	return out
}

// Retrieve returns the passages of the agent's collection that best match
// query. An agent without a collection, or whose collection is gone, has
// none; a failing search is logged and the turn goes on without knowledge.
func (a *Agent) Retrieve(ctx context.Context, query string, topK int) ([]local.Passage, error) {
	if a.Def.CollectionID == "" || strings.TrimSpace(query) == "" {
		return nil, nil
	}
	if len(query) > 1000 {
		query = query[:1000]
	}
	res, err := actors.Ask[*collection.SearchResult](a.rt.d.Root, a.rt.d.Collections,
		&collection.Search{OrgID: a.Def.OrganizationID, ID: a.Def.CollectionID, Query: query, TopK: topK}, a.rt.d.Timeout)
	if err != nil {
		if p := resource.AsProblem(err); p != nil && p.Code == resource.CodeNotFound {
			return nil, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a.rt.d.Log.Warn("knowledge_search_failed", "agent_id", a.Def.ID, "err", err)
		return nil, nil
	}
	out := make([]local.Passage, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = local.Passage{Title: h.Title, Text: h.Text, DocumentID: h.DocumentID, Score: h.Score}
	}
	return out, nil
}

// Variables are the agent's variables overlaid with the conversation's.
func (a *Agent) Variables(extra map[string]string) map[string]string {
	vars := maps.Clone(a.Def.Variables)
	if vars == nil {
		vars = map[string]string{}
	}
	maps.Copy(vars, extra)
	return vars
}

// Request builds the model request for a turn: the system prompt (the
// agent's prompt with {{variables}} filled, then the variables and the
// passages retrieved for the last user message, by local.FormatSystemPrompt),
// the conversation, and the tools. history holds no system message.
func (a *Agent) Request(ctx context.Context, history []llm.Message, vars map[string]string) (llm.Request, []local.Passage, error) {
	query := ""
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == llm.RoleUser {
			query = history[i].Content
			break
		}
	}
	passages, err := a.Retrieve(ctx, query, Passages)
	if err != nil {
		return llm.Request{}, nil, err
	}
	vars = a.Variables(vars)
	system := local.FormatSystemPrompt(substitute(a.Def.Prompt, vars), vars, passages)
	msgs := make([]llm.Message, 0, len(history)+1)
	msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: system})
	msgs = append(msgs, history...)
	return llm.Request{
		Model: a.Def.LLM.Model, Messages: msgs, Tools: a.LLMTools(), Temperature: a.Def.LLM.Temperature,
	}, passages, nil
}

// substitute fills {{name}} placeholders of the prompt.
func substitute(text string, vars map[string]string) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	for k, v := range vars {
		text = strings.ReplaceAll(text, "{{"+k+"}}", v)
	}
	return text
}

// Signals are how built-in tools act on the conversation that called them.
// Nil fields are ignored.
type Signals struct {
	// EndCall is called when the model ends the conversation.
	EndCall func()
	// Transfer is called with the number to transfer the caller to.
	Transfer func(number string)
}

// ToolRunner runs an agent's tool calls. It satisfies session.ToolRunner.
type ToolRunner struct {
	a   *Agent
	sig Signals
}

// Runner returns the agent's tool runner.
func (a *Agent) Runner(sig Signals) *ToolRunner { return &ToolRunner{a: a, sig: sig} }

// ErrUnknownTool is a call to a tool the agent does not have.
var ErrUnknownTool = errors.New("agentrt: unknown tool")

// Run runs a call and returns its output as JSON text (session.ToolRunner).
func (r *ToolRunner) Run(ctx context.Context, call llm.ToolCall) (string, error) {
	out, err := r.Call(ctx, call.Name, call.Arguments)
	return string(out), err
}

// Call runs the named tool with args. Errors are *toolrun.Error or
// *toolrun.ArgumentsError (whose text is fit to show the model), or wrap
// ErrUnknownTool.
func (r *ToolRunner) Call(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, error) {
	var t *tool.Tool
	for i := range r.a.Tools {
		if r.a.Tools[i].Name == name {
			t = &r.a.Tools[i]
			break
		}
	}
	if t == nil {
		if name == endCallTool.Name {
			return r.endCall(), nil
		}
		return nil, fmt.Errorf("%w: the agent has no tool named %q", ErrUnknownTool, name)
	}
	return r.Test(ctx, t, args)
}

// Test runs one of the agent's tools, as a call from the model would.
func (r *ToolRunner) Test(ctx context.Context, t *tool.Tool, args json.RawMessage) (json.RawMessage, error) {
	args = llm.NormalizeArguments(args)
	switch t.Type {
	case toolrun.TypeWebhook, toolrun.TypeMCP:
		return r.a.rt.d.Runner.Run(ctx, &t.Spec, args)
	}
	schema, problems := toolrun.CompileSchema(t.Parameters)
	if len(problems) > 0 {
		return nil, &toolrun.Error{Kind: toolrun.ErrInvalidArguments, Message: "the tool's parameters schema is invalid"}
	}
	if err := schema.Check(args); err != nil {
		return nil, err
	}
	switch t.Type {
	case toolrun.TypeEndCall:
		return r.endCall(), nil
	case toolrun.TypeTransferCall:
		if r.sig.Transfer != nil {
			r.sig.Transfer(t.Transfer.Number)
		}
		b, _ := json.Marshal(map[string]any{"ok": true, "transferTo": t.Transfer.Number})
		return b, nil
	case toolrun.TypeKnowledgeSearch:
		return r.knowledgeSearch(ctx, args)
	}
	return nil, fmt.Errorf("%w: type %q", ErrUnknownTool, t.Type)
}

func (r *ToolRunner) endCall() json.RawMessage {
	if r.sig.EndCall != nil {
		r.sig.EndCall()
	}
	return json.RawMessage(`{"ok":true,"ended":true}`)
}

// knowledgeSearch answers {"query"} with the best passages of the agent's
// collection.
func (r *ToolRunner) knowledgeSearch(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
	var in struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(args, &in) // the schema check passed; a custom schema may lack query
	if strings.TrimSpace(in.Query) == "" {
		return nil, &toolrun.ArgumentsError{Violations: []toolrun.Violation{{Path: "query", Message: "a query to search for is required"}}}
	}
	if r.a.Def.CollectionID == "" {
		return nil, &toolrun.Error{Kind: toolrun.ErrUnreachable, Message: "the agent has no knowledge collection"}
	}
	ps, err := r.a.Retrieve(ctx, in.Query, Passages)
	if err != nil {
		return nil, err
	}
	type result struct {
		DocumentID string  `json:"documentId"`
		Title      string  `json:"title"`
		Text       string  `json:"text"`
		Score      float64 `json:"score"`
	}
	out := struct {
		Results []result `json:"results"`
	}{Results: make([]result, len(ps))}
	for i, p := range ps {
		out.Results[i] = result{DocumentID: p.DocumentID, Title: p.Title, Text: p.Text, Score: p.Score}
	}
	return json.Marshal(out)
}
