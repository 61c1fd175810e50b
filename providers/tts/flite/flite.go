package flite

/*
#cgo CFLAGS: -I/usr/include/flite
#cgo LDFLAGS: -lflite_cmu_us_kal16 -lflite_cmu_us_slt -lflite_cmu_us_rms -lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -lm
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/switchboard-voice/switchboard/providers/tts"
)

// Provider is the engine name reported in tts.Voice.Provider.
const Provider = "flite"

// DefaultVoice is used when a request names no voice.
const DefaultVoice = "flite-slt"

// builtin lists flite's voices in the order sb_register returns them.
var builtin = [C.SB_NUM_VOICES]tts.Voice{
	{ID: "flite-kal16", Name: "Kal (US male, diphone)", Provider: Provider, Language: "en-US"},
	{ID: "flite-slt", Name: "SLT (US female)", Provider: Provider, Language: "en-US"},
	{ID: "flite-rms", Name: "RMS (US male)", Provider: Provider, Language: "en-US"},
	{ID: "flite-awb", Name: "AWB (Scottish male)", Provider: Provider, Language: "en-US"},
}

// registry holds flite's process-wide voice registrations. flite keeps its
// voices in globals, so they are registered once per process however many
// Synthesizers are created; after registration the voices are only read.
var registry struct {
	once   sync.Once
	voices [C.SB_NUM_VOICES]*C.cst_voice
	rates  [C.SB_NUM_VOICES]int
	err    error
}

func register() error {
	registry.once.Do(func() {
		C.sb_register(&registry.voices[0])
		for i, v := range registry.voices {
			if v == nil {
				registry.err = fmt.Errorf("%w: flite voice %s did not register", tts.ErrEngine, builtin[i].ID)
				return
			}
			rate, err := probeRate(v)
			if err != nil {
				registry.err = fmt.Errorf("%w: probing %s: %w", tts.ErrEngine, builtin[i].ID, err)
				return
			}
			registry.rates[i] = rate
		}
	})
	return registry.err
}

// probeRate synthesizes one short word to learn the voice's native sample
// rate, which flite only reports on a wave.
func probeRate(v *C.cst_voice) (int, error) {
	var rate int
	r := &sentenceRun{rateOnly: &rate}
	if err := r.synth(v, "a", 1, 1, 1<<20); err != nil {
		return 0, err
	}
	if rate <= 0 {
		return 0, fmt.Errorf("no audio")
	}
	return rate, nil
}

// words returns the word timings of utt, reusing dst.
func words(utt *C.cst_utterance, dst []C.sb_word) []C.sb_word {
	dst = dst[:cap(dst)]
	for {
		var p *C.sb_word
		if len(dst) > 0 {
			p = &dst[0]
		}
		n := int(C.sb_words(utt, p, C.int(len(dst))))
		if n <= len(dst) {
			return dst[:n]
		}
		dst = make([]C.sb_word, n)
	}
}

// synthC runs one flite utterance; audio arrives through sbAudioChunk.
func synthC(v *C.cst_voice, text string, stretch, f0 float64, minBuf int, h uintptr) error {
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	if C.sb_synth(v, ct, C.float(stretch), C.float(f0), C.int(minBuf), C.uintptr_t(h)) != 0 {
		return fmt.Errorf("%w: flite failed to synthesize", tts.ErrEngine)
	}
	return nil
}
