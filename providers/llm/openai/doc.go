// Package openai streams chat completions from the OpenAI API or any server
// that speaks its wire format (vLLM, llama.cpp, Ollama, Groq, the
// Switchboard server itself): POST {base}/chat/completions with
// "stream": true, answered by server-sent events of chat.completion.chunk
// objects and a final "data: [DONE]".
//
// Tool calls arrive in fragments (choices[0].delta.tool_calls[i], keyed by
// index, the id and name in the first fragment and the arguments spread over
// the rest); the client concatenates them per index and emits each call
// whole when the choice finishes. Usage is requested with
// stream_options.include_usage and arrives in a last chunk with no choices.
//
// The request uses max_tokens, which every compatible server accepts;
// OpenAI's reasoning models want max_completion_tokens instead and are not
// a fit for a voice turn anyway.
package openai
