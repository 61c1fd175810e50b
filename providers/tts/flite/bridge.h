// Glue between Go and flite: voice registration, per-utterance synthesis with
// a streaming callback, and word timings read from the utterance.
#ifndef SWITCHBOARD_FLITE_BRIDGE_H
#define SWITCHBOARD_FLITE_BRIDGE_H

#include <stdint.h>
#include <flite.h>

#define SB_NUM_VOICES 4

// sb_word is one word of an utterance with its span in seconds.
typedef struct {
    const char *name; // owned by the utterance
    float start;
    float end;
} sb_word;

// sb_register initialises flite and registers the built-in voices, in the
// order kal16, slt, rms, awb. Call once.
void sb_register(cst_voice **voices);

// sb_synth synthesizes text with voice, streaming audio to the Go side
// identified by handle. stretch multiplies the voice's duration_stretch and
// f0_factor its mean pitch. Returns 0 on success, -1 if flite failed.
int sb_synth(cst_voice *voice, const char *text, float stretch, float f0_factor,
             int min_buffsize, uintptr_t handle);

// sb_words fills out (capacity max) with the words of utt and returns how
// many words the utterance has (which may exceed max).
int sb_words(const cst_utterance *utt, sb_word *out, int max);

#endif
