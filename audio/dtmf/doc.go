// Package dtmf detects and generates in-band DTMF (touch-tone) digits in
// 16-bit PCM at 8 kHz or 16 kHz.
//
// Frequencies and digit layout follow ITU-T Recommendation Q.23; the
// acceptance rules follow the spirit of Q.24 (signals of 40 ms and more are
// accepted; speech must not be mistaken for digits). The detector runs
// Goertzel filters (Goertzel, "An algorithm for the evaluation of finite
// trigonometric series", 1958) at the eight DTMF frequencies over 20 ms
// windows that hop by 10 ms, so a 40 ms tone fills at least two windows
// whatever its alignment to the caller's frames. A window holds a digit
// only if
//
//   - both tones are above an absolute floor (about -44 dBFS each);
//   - twist, the level difference between the high and low tone, is within
//     ±8 dB;
//   - each tone is at least 6 dB above the other frequencies of its group;
//   - the two tones carry at least 80 % of the window's energy, and their
//     second harmonics little of it (speech is harmonic, DTMF is not).
//
// A digit is reported once when it has held for three consecutive windows
// (40 ms) and is re-armed only after three windows without it, so a held
// key yields one digit and short dropouts do not double it.
//
// The Detector allocates nothing, starts no goroutines and is meant for
// one stream; it is not safe for concurrent use.
package dtmf
