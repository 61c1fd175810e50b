// Package calls is a small client for the part of Twilio's REST API that
// outbound campaigns need: placing a call and hanging it up (Twilio, "Call
// resource", https://www.twilio.com/docs/voice/api/call-resource).
//
// Requests are form-encoded with Twilio's PascalCase parameter names and
// authenticated with HTTP Basic auth (account SID and auth token). The base
// URL is configurable so tests, and Twilio-compatible carriers or regional
// edges, can stand in. Twilio's error documents become *Error values that
// carry its code and message and never the credentials.
package calls
