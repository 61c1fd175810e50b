// Package frame defines the 20 ms audio frame that the media path moves in,
// and the pacer that keeps an outbound stream on its frame schedule.
//
// Framing and pacing are split over three packages, one job each:
//
//   - frame (this package): frame arithmetic (samples per frame at a rate,
//     durations of sample counts) and the [Pacer] that says, from times the
//     caller reads off its own monotonic clock, when the next frame is due
//     and how late it is;
//   - audio/jitter: the inbound buffer that puts frames arriving out of order
//     back in order and reports gaps;
//   - audio/playout: the outbound queue that a write loop pulls one frame at
//     a time from, and that counts what was played of each utterance.
//
// jitter and playout both build on the frame size defined here, but neither
// needs the other, and a read loop or a write loop imports only the one it
// uses.
package frame
