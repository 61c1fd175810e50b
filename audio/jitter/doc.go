// Package jitter puts inbound audio frames back in order.
//
// Frames from a carrier or a client arrive with sequence numbers (Twilio
// Media Streams number its media messages with "chunk"; a caller working from
// millisecond timestamps divides by the frame duration). Over TCP they are
// rarely out of order, but relays, reconnects and UDP-backed clients do
// reorder, repeat and lose them. A [Buffer] accepts frames in any order and
// hands them out strictly in sequence: a duplicate or a frame older than what
// was already released is refused, and a missing frame is waited for until
// a frame Depth sequence numbers later has arrived, then reported as a gap so that the caller
// can conceal it (repeat the last frame, or play silence) and keep stream
// time right.
//
// The buffer is a preallocated ring: Push copies the caller's frame into it
// and Pop copies out into the caller's buffer, so neither allocates. Errors on
// this path are the bare sentinels, since wrapping one would allocate. A
// Buffer is used by one read loop and is not safe for concurrent use.
package jitter
