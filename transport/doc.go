// Package transport holds Switchboard's network edges, one sub-package per
// protocol: rest (the fasthttp JSON API and its OpenAPI document), and later
// the Twilio media stream and the direct agent WebSocket.
//
// Transport copies what it needs out of a fasthttp.RequestCtx before the
// handler returns (fasthttp reuses it) and never holds domain state: it
// sends messages to actors and answers from their replies.
package transport
