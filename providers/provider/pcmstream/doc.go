// Package pcmstream turns a streamed body of raw 16-bit little-endian mono
// PCM (what OpenAI's "pcm" and ElevenLabs' "pcm_*" speech formats send) into
// tts.Chunks as the bytes arrive, so the first audio reaches the caller while
// the rest is still being synthesized upstream.
//
// Network reads end wherever TCP segments end, including in the middle of a
// sample; the odd byte is carried over to the next read.
package pcmstream
