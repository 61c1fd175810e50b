// Package provider holds what every cloud provider client (llm, tts and stt
// engines that call a remote API) shares: the ProviderError they all return
// when the upstream service refuses or fails a request, and the HTTP
// plumbing that turns an upstream error response into one.
//
// It lives apart from the llm, tts and stt packages so that all three map
// upstream failures the same way: the transport layer checks
// errors.Is(err, ErrProviderUnavailable), answers PROVIDER_UNAVAILABLE
// (DESIGN.md, "API conventions") and names the provider from
// ProviderError.Provider, without knowing which role or engine failed.
//
// Provider keys never appear in a ProviderError: messages are taken from the
// upstream body, trimmed, and scrubbed of the key (Redact) in case a service
// echoes it back.
package provider
