// Package wav reads and writes RIFF/WAVE files holding telephone and speech
// audio: 16-bit linear PCM (WAVE_FORMAT_PCM), ITU-T G.711 A-law
// (WAVE_FORMAT_ALAW, 6) and μ-law (WAVE_FORMAT_MULAW, 7), mono or stereo, at
// any sample rate.
//
// The container follows the Microsoft RIFF specification ("Multimedia
// Programming Interface and Data Specifications 1.0", 1991) and its
// WAVE_FORMAT_EXTENSIBLE amendment ("Multiple Channel Audio Data and WAVE
// Files", 2001). The reader is deliberately tolerant of what real producers
// write: unknown chunks (LIST, fact, cue, …) are skipped, odd-sized chunks
// may lack their pad byte at the end of the file, and a data chunk whose size
// is 0 or 0xFFFFFFFF (written by encoders streaming to a pipe) extends to the
// end of the input. Anything it cannot interpret is rejected with one of the
// package's sentinel errors, never a panic.
//
// Decode does not copy: Audio.Data aliases the caller's buffer.
package wav
