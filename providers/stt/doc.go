// Package stt defines the streaming speech-to-text provider interface that the
// session's audio loop feeds, and engine-independent helpers around it (word
// error rate for accuracy tests and benchmarks).
//
// Engines live in sub-packages (pocketsphinx is the embedded default; cloud
// engines plug in behind the same Streamer).
package stt
