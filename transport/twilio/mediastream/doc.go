// Package mediastream parses and builds the JSON text frames of Twilio Media
// Streams, the WebSocket protocol Twilio speaks after TwiML
// <Connect><Stream> ("Media Streams – WebSocket Messages",
// https://www.twilio.com/docs/voice/media-streams/websocket-messages).
//
// Twilio sends connected, start, media, dtmf, mark and stop events; the
// server sends media, mark and clear. Numeric-looking fields (sequenceNumber,
// chunk, timestamp) travel as JSON strings, and audio is base64 8 kHz μ-law,
// 160 bytes per 20 ms.
//
// A call produces 50 inbound media messages a second, so Parser decodes them
// with a small hand-written scanner into a caller-owned Inbound whose payload
// buffer and stream SID are reused: a steady stream of media messages costs
// no allocations. Anything the scanner does not recognise exactly (other
// events, unknown keys, escaped strings, errors) is decoded again by
// encoding/json, which is the reference for what is accepted; a fuzz test
// checks that both paths agree. The Append functions write outbound
// messages into a caller buffer, likewise without allocating.
package mediastream
