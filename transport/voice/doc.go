// Package voice serves live voice sessions over WebSockets: the Twilio
// Media Streams socket (μ-law 8 kHz, JSON text frames) and the direct agent
// protocol (JSON control messages and binary PCM16 or Opus frames; see
// docs/direct-protocol.md). Each connection gets a session actor, an
// Inbound read loop and a paced Outbound write loop (package media); the
// socket's reader goroutine is the read loop and one writer goroutine owns
// all writes.
//
// Connections are hijacked from fasthttp, whose Shutdown does not wait for
// them, so the Server tracks them and closes them itself on shutdown.
package voice
