// Package g711 converts between 16-bit linear PCM and the ITU-T G.711
// companded encodings, μ-law (PCMU, North America and Japan) and A-law
// (PCMA, elsewhere).
//
// The quantisation follows ITU-T Recommendation G.711 (11/88) exactly as
// its reference implementation in ITU-T G.191 (STL, module g711.c) realises
// it: a 16-bit sample is reduced to its 14 (μ-law) or 13 (A-law) most
// significant bits by truncation, and negative samples use the one's
// complement, so -1 encodes to "negative zero" (μ-law 0x7F, A-law 0x55).
// Decoding yields the midpoint of each quantisation interval, left-justified
// in 16 bits.
//
// Everything is table driven. Encoding indexes a table by the bits the law
// keeps (16 KiB for μ-law, 4 KiB for A-law; both stay in L1 cache), decoding
// by the code byte. The slice functions take caller-owned buffers, never
// allocate and are safe for concurrent use: the tables are read-only after
// package initialisation.
package g711
