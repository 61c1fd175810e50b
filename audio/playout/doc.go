// Package playout is the outbound audio queue of a connection's write loop.
//
// The session enqueues agent speech as items (one TTS chunk of one agent
// utterance: an ID and its PCM). The write loop pulls exactly one frame per
// tick of its [frame.Pacer] and sends it. The queue counts, per item, how
// many samples have been pulled: that is what the caller has heard (up to
// the carrier's own buffering, which Twilio marks account for), and it is
// what lets the session cut an interrupted reply down to the words that
// were actually played. [Queue.Clear] drops everything at once on barge-in
// and says how much of each dropped item had been played.
//
// Items are played back to back: a frame that reaches the end of one item
// continues with the next, because the items of one utterance are
// consecutive pieces of the same speech and padding each with silence to a
// frame boundary would put an audible click of up to 20 ms between them.
// Only when the queue runs dry is the rest of the frame silence, and silence
// is never counted as played.
//
// The queue is bounded by samples; Enqueue returns [ErrFull] rather than
// block, so a session actor is never stuck on a slow connection. One
// producer (the session) and one consumer (the write loop) may use it at
// once; a mutex guards the queue state. Pull copies into the caller's frame
// and appends completions to the caller's slice, so it allocates nothing.
package playout
