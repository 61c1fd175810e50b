// Package agentrt is the agent runtime that chat and voice share: it turns
// an agent definition into what a turn needs. For each turn it retrieves
// the passages of the agent's collection that best match the user's last
// message and hands them, with the agent's variables, to any model through
// the system prompt (local.FormatSystemPrompt); it offers the agent's tools
// as llm.Tools (plus end_call, as every voice agent has); and it runs the
// tool calls the model makes: webhooks and MCP tools through package
// toolrun, built-ins (end_call, transfer_call, knowledge_search) here,
// signalling the conversation through Signals.
//
// Chat runs a whole text turn (model → tools → model, at most
// MaxToolRounds rounds); a voice session keeps its own loop, which speaks
// as text arrives, and uses Request and Runner.
package agentrt
