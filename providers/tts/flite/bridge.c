#include <flite.h>
#include <cst_audio.h>
#include <cst_synth.h>
#include <cst_cg.h>
#include <string.h>
#include "bridge.h"
#include "_cgo_export.h"

cst_voice *register_cmu_us_kal16(const char *voxdir);
cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);

// sb_stream extends flite's streaming info with the Go handle. flite frees the
// streaming info (with cst_free) when the utterance is deleted, so the
// extension must live in the same allocation, after it.
typedef struct {
    cst_audio_streaming_info asi;
    uintptr_t handle;
    cst_utterance *utt;
} sb_stream;

void sb_register(cst_voice **voices)
{
    flite_init();
    voices[0] = register_cmu_us_kal16(NULL);
    voices[1] = register_cmu_us_slt(NULL);
    voices[2] = register_cmu_us_rms(NULL);
    voices[3] = register_cmu_us_awb(NULL);
}

// sb_asc is flite's audio streaming callback. flite 2.2 passes asi->userdata
// as the last argument (not asi, as the prototype suggests) in both the LPC
// (diphone) and MLSA (clustergen) paths; userdata points at the sb_stream
// itself, so either convention lands on the same struct.
static int sb_asc(const cst_wave *w, int start, int size, int last,
                  cst_audio_streaming_info *asi)
{
    sb_stream *s = (sb_stream *)asi;
    return sbAudioChunk(s->handle, s->utt, (short *)w->samples, start, size,
                        last, w->sample_rate);
}

// cg_without_spamf0 gives utterance u a private copy of its clustergen
// database with the SPAM F0 model switched off, and returns the copy for the
// caller to free after the utterance (NULL if nothing was needed). SPAM
// (used by rms) writes absolute F0 contours after the f0_shift scaling, so
// with it on a pitch request has no effect; the copy falls back to the
// voice's own F0 trees, which honour f0_shift. The copy is shallow: it only
// points into the voice's read-only model data.
static cst_cg_db *cg_without_spamf0(cst_utterance *u)
{
    const cst_val *v = get_param_val(u->features, "cg_db", NULL);
    cst_cg_db *copy;

    if (v == NULL || !val_cg_db(v)->spamf0)
        return NULL;
    copy = cst_alloc(cst_cg_db, 1);
    memcpy(copy, val_cg_db(v), sizeof *copy);
    copy->spamf0 = 0;
    copy->freeable = 0; // the utterance's value must not free the shared model
    feat_set(u->features, "cg_db", cg_db_val(copy));
    return copy;
}

int sb_synth(cst_voice *voice, const char *text, float stretch, float f0_factor,
             int min_buffsize, uintptr_t handle)
{
    cst_utterance *u;
    sb_stream *s;
    float base;
    cst_cg_db *spam_off = NULL;
    int rc = 0;

    u = new_utterance();
    utt_set_input_text(u, text);
    utt_init(u, voice); // links (does not copy) the voice's features
    utt_set_feat_string(u, "input_type", "text");

    // Everything below is set on the utterance's own features, which shadow
    // the shared voice's: concurrent utterances never write to the voice.
    if (stretch != 1.0f) {
        base = get_param_float(u->features, "duration_stretch", 1.0f);
        feat_set_float(u->features, "duration_stretch", base * stretch);
    }
    if (f0_factor != 1.0f) {
        if (feat_present(voice->features, "int_f0_target_mean")) {
            // Diphone voices take their pitch targets from here.
            base = get_param_float(u->features, "int_f0_target_mean", 100.0f);
            feat_set_float(u->features, "int_f0_target_mean", base * f0_factor);
            base = get_param_float(u->features, "int_f0_target_stddev", 10.0f);
            feat_set_float(u->features, "int_f0_target_stddev", base * f0_factor);
        } else {
            // Clustergen voices default the mean to their model's and scale
            // it by f0_shift.
            feat_set_float(u->features, "f0_shift", f0_factor);
            spam_off = cg_without_spamf0(u);
        }
    }

    s = cst_alloc(sb_stream, 1);
    s->asi.min_buffsize = min_buffsize;
    s->asi.asc = sb_asc;
    s->asi.userdata = s;
    s->handle = handle;
    s->utt = u;
    // The utterance now owns s and frees it with its features.
    feat_set(u->features, "streaming_info", audio_streaming_info_val(&s->asi));

    if (utt_synth(u) == NULL)
        rc = -1;
    delete_utterance(u);
    cst_free(spam_off); // after the utterance, which refers to it
    return rc;
}

int sb_words(const cst_utterance *utt, sb_word *out, int max)
{
    const cst_item *w, *first, *last, *prev;
    int n = 0;

    for (w = relation_head(utt_relation(utt, "Word")); w; w = item_next(w)) {
        first = path_to_item(w, "R:SylStructure.daughter1.daughter1.R:Segment");
        last = path_to_item(w, "R:SylStructure.daughtern.daughtern.R:Segment");
        if (first == NULL || last == NULL)
            continue; // a word with no phones takes no time
        if (n < max) {
            prev = item_prev(first);
            out[n].name = item_feat_string(w, "name");
            out[n].start = prev ? item_feat_float(prev, "end") : 0.0f;
            out[n].end = item_feat_float(last, "end");
        }
        n++;
    }
    return n;
}
