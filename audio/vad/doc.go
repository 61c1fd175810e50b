// Package vad detects voice activity in a stream of 16-bit PCM frames.
//
// It is the first stage of a connection's read loop: every 10 or 20 ms frame
// of caller audio (8 kHz telephone audio or 16 kHz session audio) goes through
// [Detector.Process], which returns a [SpeechStart] or [SpeechEnd] event when
// the caller starts or stops talking. The session actor only ever sees those
// events, never audio.
//
// The detector is deliberately simple and cheap, so that it costs little next
// to the hundreds of calls one core has to carry:
//
//   - The frame is band-limited to the telephone speech band (300–3400 Hz by
//     default) by a second-order high-pass and a second-order low-pass
//     filter, so that hum, rumble and the low-frequency bulk of brown
//     (traffic-like) noise do not count as speech.
//   - Its energy is compared with a noise floor estimated by minimum
//     statistics: the minimum of the lightly smoothed frame energy over a
//     sliding window (3 s by default). The floor follows a drop in noise at
//     once and a rise within one window, and speech cannot pull it up because
//     speech always has pauses lower than itself within a window.
//   - A frame is voiced when its energy exceeds the floor by StartDB, or by
//     the lower StopDB once speech has started (hysteresis), which keeps the
//     decision from chattering on the quiet tail of a word.
//   - Speech starts only after MinSpeech of voiced audio (clicks and door
//     slams are shorter) and ends only after MinSilence of unvoiced audio
//     (pauses between words are shorter). Events carry the stream time at
//     which speech really began or ended, computed from sample counts, not
//     the later time at which the decision could be made.
//
// Process takes the caller's frame, allocates nothing, logs nothing and starts
// no goroutines. A Detector is not safe for concurrent use; each stream owns
// one.
package vad
