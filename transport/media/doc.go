// Package media holds the per-connection media loops that every voice
// transport shares. Inbound is the read side: it takes the caller's 20 ms
// frames, detects DTMF in them (unless the transport reports key presses
// itself) and runs VAD at the line rate, feeds the recogniser the caller's
// speech as the line carries it, and sends only events to the session
// actor. Outbound is the write side: a paced loop that pulls agent audio
// from a bounded playout queue, a frame at a time or a few while ahead of
// schedule, hands it to the transport's encoder, and reports what went
// out. Recorder keeps both sides aligned in time.
package media
