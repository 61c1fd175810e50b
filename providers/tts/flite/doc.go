// Package flite is the embedded text-to-speech engine: a cgo binding to CMU
// flite 2.2 (BSD licensed) with its four built-in US English voices.
//
// Voice IDs are "flite-kal16" (male, diphone), "flite-slt" (female),
// "flite-rms" (male) and "flite-awb" (male, Scottish accent); the last three
// are clustergen voices. All produce 16 kHz mono PCM16; resampling to a
// transport rate is the caller's job. The default voice is "flite-slt".
//
// Synthesis runs sentence by sentence (tts.Sentences) and, within a
// sentence, streams through flite's audio streaming callback, so the first
// chunk reaches the caller while the rest of the reply is still being
// synthesized. Each sentence's leading silence (about 200 ms in flite's
// output) is trimmed by energy and its trailing silence is cut to a short
// tail; sentences are joined by a fixed pause. Word timings come from the
// utterance's Word and Segment relations and are shifted by the same trims.
//
// Speed and pitch are set on each utterance's own features, which shadow the
// voice's shared ones, so concurrent requests never write shared state.
// Concurrent synthesis on several goroutines is supported without locks; the
// tests check it produces the same audio as sequential synthesis. kal16 is
// bit-for-bit deterministic; the clustergen vocoder draws excitation noise
// from libc rand() (process-wide, internally locked), so slt, rms and awb
// vary slightly from run to run in their noise, not in words or timing.
//
// rms normally takes its pitch contour from a SPAM F0 model that ignores
// pitch settings; a request with a non-zero Pitch therefore synthesizes rms
// with its clustergen F0 trees instead (a private copy of the voice's model
// header, per utterance), whose mean is a few percent lower.
//
// Building needs Debian's flite1-dev (headers and libraries); running needs
// libflite1.
package flite
