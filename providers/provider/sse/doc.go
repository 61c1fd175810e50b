// Package sse decodes a server-sent event stream (WHATWG HTML Living
// Standard, "Server-sent events", section 9.2.6 "Interpreting an event
// stream"), the framing that the OpenAI chat completions and Anthropic
// Messages APIs use for streamed replies.
//
// It reads only what clients need: event, data and id fields; comments and
// unknown fields are skipped as the standard says; retry is ignored because
// a provider call is never reconnected. Lines end in LF or CRLF (a lone CR,
// allowed by the standard but sent by no provider we talk to, is not treated
// as a line end). A line longer than the configured limit is an error rather
// than unbounded buffering.
package sse
