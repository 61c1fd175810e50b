// Package tts defines the streaming text-to-speech provider interface used by
// the session, chat and OpenAI-compatible speech endpoints, and the
// engine-independent text handling around it: input validation and cleaning
// (NormalizeText) and sentence splitting (Sentences), so every engine can
// synthesize sentence by sentence and start speaking before a long reply has
// been synthesized.
//
// Engines live in sub-packages (flite is the embedded default; cloud engines
// plug in behind the same Synthesizer).
package tts
