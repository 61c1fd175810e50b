// Package twiliotest is a simulated phone call for testing Switchboard's
// Twilio path end to end, in the spirit of net/http/httptest: it plays both
// Twilio and the human on the line.
//
// Dial does what Twilio does when a call comes in: it POSTs the voice
// webhook (signed with X-Twilio-Signature when an auth token is given),
// reads the TwiML <Connect><Stream>, opens the media-stream WebSocket and
// sends the connected and start messages, passing the TwiML <Parameter>s in
// start.customParameters (Twilio, "Media Streams – WebSocket Messages",
// https://www.twilio.com/docs/voice/media-streams/websocket-messages).
//
// Like a phone line, a Call sends a 20 ms μ-law media frame every 20 ms for
// as long as it is up: silence when the caller is quiet, and the caller's
// speech when Say, SayPCM or Silence has queued some. Say synthesizes its
// text with the embedded flite voices. The calls in a process share a few
// goroutines that pace their lines (one per processor, see lineClock), so
// that a load generator can hold a thousand calls; each call's frames
// still leave one message and one write at a time, as Twilio sends them.
//
// Like Twilio, a Call plays the agent's audio out in real time: media from
// the server is queued behind what is already playing, a mark is echoed
// once the audio queued before it has played, and clear drops the queued
// audio and echoes every pending mark at once. WaitForAgent returns the
// agent's next utterance as the caller heard it, with the turn latency: the
// time from the caller's last voiced frame leaving the caller to the first
// agent audio arriving after it, the measure of DESIGN.md's latency target.
// Transcriber turns an utterance back into words with the embedded
// PocketSphinx recogniser.
//
// Every time in this package is read from the local monotonic clock, so
// latencies are only meaningful when the caller and the server share a
// machine or the network delay is part of what is being measured.
package twiliotest
