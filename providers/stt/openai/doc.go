// Package openai transcribes speech with OpenAI's transcription endpoint or
// any server that speaks its wire format: POST {base}/audio/transcriptions,
// multipart with the audio as a WAV file, model, response_format=
// verbose_json and timestamp_granularities[]=word (see
// /work/shared/reference/openai-audio-api.md).
//
// It is not streaming recognition. A Stream buffers the utterance's PCM in
// memory; Finalize uploads it and waits for the whole transcript, so a turn
// costs an upload and a full decode after the caller stops speaking, and
// Partial never has anything to report (it always returns false). Use a
// streaming engine (deepgram, pocketsphinx) where interim results or low
// end-of-turn latency matter.
//
// Config.Phrases are sent as the prompt, which biases Whisper-family models
// toward the agent's vocabulary. The upload is cancelled when the stream's
// context is cancelled or the stream is closed.
package openai
