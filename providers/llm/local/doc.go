// Package local is Switchboard's embedded stand-in for a language model: a
// deterministic, rule-based dialog engine behind llm.Model. It has no model
// weights and generates no free text; every reply comes from the rules and
// phrases in this package, the agent's tools, and the agent's knowledge.
// It exists so that an agent talks with no account anywhere and so that
// tests and load runs get the same answer every time. It understands
// English only, and only the kinds of turns a phone agent mostly hears.
//
// # What it does with a user turn
//
// In order of priority:
//
//  1. Ending: "bye", "hang up", "that's all", "no thanks" → a closing line,
//     and a call to the end-call tool if one is offered (a tool named
//     end_call or whose name says "end call"/"hang up").
//  2. A tool call in progress: the answer to the parameter it last asked
//     for is parsed for that parameter's type, other parameters are taken
//     from unmistakable phrases, and the next missing required parameter is
//     asked for, one at a time. "Never mind" drops the task; three answers
//     in a row that cannot be understood give up on it.
//  3. Tool intent: each tool is scored by the concepts it shares with the
//     utterance (words lowercased, lightly stemmed, mapped through a small
//     synonym table: book/schedule/reserve/appointment, cancel/remove,
//     check/status/look up, transfer/person/human/agent, …) in its name,
//     description and parameters. The best tool above a threshold, and
//     clearly ahead of the next, starts a task.
//  4. Tool results (when the last message is a tool's): spoken as a
//     sentence taken from the result's message/status/confirmation fields,
//     or as a polite apology for an error.
//  5. Questions: answered from the agent's knowledge with the one or two
//     sentences of the best passage that share most words with the
//     question, at most 40 words; or an honest "I don't have that
//     information".
//  6. Greetings, thanks and small talk; otherwise a request to rephrase that
//     says what the agent's tools can do.
//
// Values are parsed from speech as a recogniser writes it: numbers ("twenty
// three", "1,200"), digit strings for phones and IDs ("five five five, one
// two three four", "double seven"), dates ("tomorrow", "next Monday",
// "December 5th", "the 5th", ISO) against the injected clock, times ("ten
// thirty", "3pm", "half past two", "noon"), names ("my name is…", "this
// is…"), e-mail addresses (also "john at example dot com"), yes/no, enum
// values and free text. The arguments are sent as JSON in the schema's
// property order: dates as 2006-01-02, times as 15:04 (15:04:05 for format
// "time"), date-times as RFC 3339.
//
// # Conventions
//
// State. The engine keeps nothing between calls: the state of a task in
// progress is re-derived on every turn by replaying the conversation's user
// turns through the same rules that answered them, and an assistant message
// with tool calls closes the task. Nothing hidden is written into the
// conversation, so transcripts stay clean, an interrupted or truncated
// assistant message changes nothing, and any node can answer any turn. The
// cost is re-parsing a few short turns, and a relative date ("tomorrow")
// is resolved against the current clock, not the moment it was said.
//
// Knowledge. Options.Knowledge is the agent's collection search, set when
// the agent actor builds the agent's Engine. A per-agent engine keeps the
// dependency explicit and typed, where a context value would hide it; the
// engine is stateless, so one per agent costs nothing. When it is nil, the
// engine searches the passages the session put in the system prompt with
// FormatSystemPrompt, so retrieval the session does for every model works
// here too. The same convention carries the conversation's variables,
// which fill {{name}} placeholders in every reply (unknown ones are
// dropped, never read aloud).
//
// Citations. llm.Event has no place for them and the interface is shared,
// so they travel beside the stream: WithCitations puts a collector in the
// request's context, in the manner of net/http/httptrace, and Citations
// lists the passages the answers came from once Stream returns.
//
// Output. Replies stream a word at a time so the sentence chunker can
// start speech early, then whole tool calls (IDs call_1, call_2, … counted
// over the conversation), then Done with FinishReason "stop" or
// "tool_calls" and words counted as tokens.
package local
