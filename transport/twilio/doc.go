// Package twilio holds what Switchboard's Twilio voice webhook needs to
// authenticate Twilio and answer it:
//
//   - Signature and Valid compute and check the X-Twilio-Signature header
//     (Twilio, "Webhooks security",
//     https://www.twilio.com/docs/usage/webhooks/webhooks-security),
//     matching the official twilio-node library, which the tests run
//     against.
//   - ConnectStream, SayHangup and Hangup write TwiML (Twilio, "TwiML Voice:
//     <Connect>", "<Stream>", "<Say>", "<Hangup>",
//     https://www.twilio.com/docs/voice/twiml/stream).
//   - NewToken and ParseToken make and check the short-lived session token
//     that the TwiML passes as a <Stream> <Parameter>, because Twilio opens
//     the media-stream WebSocket with no credentials of ours: the token
//     comes back in the start message's customParameters and says which
//     organization, agent and call the stream belongs to.
//
// The Media Streams messages themselves live in package mediastream and the
// REST client for placing calls in package calls.
package twilio
