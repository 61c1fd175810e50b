// Package sim is the simulated provider set FOR LOAD TESTS. It is not
// speech: it fabricates audio and text with configured latencies so load
// tests measure the engine, not the engines.
//
//   - TTS turns text into a tone-and-noise signal shaped like speech (bursts
//     for words, quiet for the gaps), PerChar long per character, after a
//     FirstChunk latency, with exact word timings.
//   - STT recognises nothing: Finalize returns the next utterance of a
//     script the load harness configured, after a FinalLatency; partials
//     reveal that utterance word by word as audio arrives.
//   - LLM replies with configured text (or echoes the caller) after a
//     FirstToken latency, streaming words at a configured interval, and can
//     answer a user turn with a scripted tool call first.
//
// Every latency goes through an injectable Wait (RealWait, a time.Timer, by
// default), so tests can run the providers without sleeping and check what
// they were asked to wait rather than how long anything took.
package sim
