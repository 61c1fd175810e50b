// Package openai synthesizes speech with OpenAI's speech endpoint or any
// server that speaks its wire format: POST {base}/audio/speech with
// {model, voice, input, response_format: "pcm", speed}, answered by raw
// 24 kHz 16-bit little-endian mono PCM streamed as it is synthesized (see
// /work/shared/reference/openai-audio-api.md). Chunks are emitted as the
// bytes arrive (providers/provider/pcmstream).
//
// The API returns no word timings, so chunks carry no Words; a session that
// cuts an interrupted reply to the words heard has to estimate them from
// the audio played. It has no pitch control either: a Request with a
// non-zero Pitch is refused with tts.ErrInvalidOption rather than silently
// spoken at the voice's own pitch.
package openai
