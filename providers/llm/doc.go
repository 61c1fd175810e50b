// Package llm defines the streaming language-model interface that chat and
// voice sessions use, independent of any provider: a Request of messages and
// tools goes in, Events (text deltas, whole tool calls, a final Done with
// usage) come out as the model produces them.
//
// Provider clients live in sub-packages (openai for any OpenAI-compatible
// chat completions server, anthropic for the Messages API); the simulated
// model for load tests is in providers/sim. Upstream failures are
// *provider.ProviderError values, so callers map them to
// PROVIDER_UNAVAILABLE the same way for every role.
package llm
