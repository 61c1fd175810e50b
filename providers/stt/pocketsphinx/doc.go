// Package pocketsphinx is the embedded speech-to-text engine: a cgo binding
// to CMU PocketSphinx 0.8 (Debian's libpocketsphinx3 with the
// pocketsphinx-en-us model) behind stt.Streamer.
//
// Decoding is always at 16 kHz, the rate the en-us acoustic model was
// trained at; streams opened at other rates (8 kHz phone audio) are
// upsampled with audio/resample on the way in.
//
// Decoders are pooled. PocketSphinx 0.8 cannot share an acoustic model
// between decoders through its public API (ps_init loads model, dictionary
// and language model together), and ps_init with the generic model costs
// about 300 ms, so the engine keeps idle decoders, keyed by language model,
// and hands them to new streams (about 7 µs). A domain model (built with
// package arpa from the stream's phrases, cached by an xxh3 hash of the
// phrase list) gets its own decoders, built with a dictionary cut down to
// the model's words: that makes ps_init about 12 ms, where loading the same
// model into a full-dictionary decoder takes over a second.
//
// Each stream starts from the cepstral-mean (channel) estimate left by the
// last utterance at the same input rate, because the live estimate only
// moves at utterance ends; see Engine.
package pocketsphinx
