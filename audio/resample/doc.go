// Package resample converts 16-bit PCM between sample rates in a stream,
// frame by frame, with the filter state carried across frames.
//
// It is a rational polyphase FIR resampler (Crochiere & Rabiner,
// "Multirate Digital Signal Processing", 1983, ch. 4): conceptually the
// input is upsampled by L, low-pass filtered, and decimated by M, where
// L/M = outRate/inRate in lowest terms; only the L filter phases that land
// on output samples are ever evaluated. The prototype low-pass is a
// Kaiser-windowed sinc (Kaiser, "Nonrecursive digital filter design using
// the I0-sinh window function", 1974) designed at construction for:
//
//   - stopband from the lower rate's Nyquist frequency, ≥ 80 dB down
//     (designed for 85 dB), so nothing aliases and no image survives;
//   - at most 3 ms of group delay, which with 85 dB fixes the transition
//     band at about 0.92 kHz: the passband reaches 3.08 kHz when either
//     side is 8 kHz, 7.08 kHz for 16 kHz, and 90 % of Nyquist from
//     22.05 kHz up (Resampler.Design reports the numbers);
//   - unity gain in the passband.
//
// The inner loop walks a block of outputs per call, each a dot product of
// one contiguous window of the float32 history with one zero-padded phase;
// on amd64 CPUs with AVX2 and FMA (checked at init, including the
// operating system's support for the YMM state) it is an assembly kernel,
// elsewhere the Go loops, which the tests also run the quality suite
// through.
//
// Phase tables are shared between resamplers of the same rate pair through
// a small process-wide cache and are read-only once built. Process
// allocates nothing, starts no goroutines and takes caller-owned buffers; a
// Resampler itself is not safe for concurrent use (one per stream).
package resample
