// Package deepgram recognises speech with Deepgram's streaming API over a
// WebSocket: wss://{base}/v1/listen?encoding=linear16&sample_rate=N&
// channels=1&interim_results=true&punctuate=true&model=... with the header
// "Authorization: Token KEY". Audio goes up as binary frames; results come
// back as JSON {"type":"Results","is_final","speech_final","from_finalize",
// "channel":{"alternatives":[{"transcript","confidence","words":[...]}]}}.
// {"type":"Finalize"} flushes the utterance and {"type":"CloseStream"} ends
// the session.
//
// Each Stream owns one connection and one reader goroutine, which Close (or
// cancelling the NewStream context) stops and waits for. The reader keeps
// the latest interim hypothesis for Partial and joins the is_final segments
// of the current utterance; Finalize sends Finalize and waits for the result
// marked from_finalize, or for Config.FinalizeTimeout, after which it returns
// the segments and hypothesis it has.
//
// Deepgram closes a connection that receives no audio for about ten
// seconds; the session's audio loop writes continuously (silence included),
// so no KeepAlive is sent.
package deepgram
