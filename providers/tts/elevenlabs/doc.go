// Package elevenlabs synthesizes speech with ElevenLabs' streaming endpoint:
// POST {base}/v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000
// with the xi-api-key header and {text, model_id, voice_settings}, answered
// by raw 16-bit little-endian mono PCM streamed as it is synthesized.
// Chunks are emitted as the bytes arrive (providers/provider/pcmstream).
//
// ElevenLabs voices are account-specific opaque IDs, so the voice list is
// configured rather than fetched; any "elevenlabs-<voice_id>" is accepted,
// listed or not, because voices can be added to an account at any time.
// This endpoint returns no word timings (the /with-timestamps variant does,
// as base64 JSON) and has no pitch control: a non-zero Pitch is refused.
package elevenlabs
