package pocketsphinx

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <stdio.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/cmn.h>

// cgo cannot call the variadic cmd_ln_init, so the config is parsed from an
// argv array instead.
static ps_decoder_t *sb_init(int argc, char **argv) {
	cmd_ln_t *cfg = cmd_ln_parse_r(NULL, ps_args(), argc, argv, 0);
	if (cfg == NULL) {
		return NULL;
	}
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg); // ps_init retains what it keeps
	return ps;
}

static void sb_quiet(void) {
	err_set_logfp(NULL);
}

// The live cepstral-mean (CMN) estimate is the decoder's picture of the
// channel. It survives ps_start_stream, so the engine sets it explicitly per
// stream (see Engine.cmnPrior). mfcc_t is float in Debian's build
// (FIXED_POINT undefined), matching Go's float32.
static int sb_cmn_len(ps_decoder_t *ps) {
	cmn_t *c = ps_get_feat(ps)->cmn_struct;
	return c == NULL ? 0 : c->veclen;
}

static void sb_cmn_get(ps_decoder_t *ps, mfcc_t *v) {
	cmn_live_get(ps_get_feat(ps)->cmn_struct, v);
}

static void sb_cmn_set(ps_decoder_t *ps, mfcc_t const *v) {
	cmn_live_set(ps_get_feat(ps)->cmn_struct, v);
}

static double sb_seg_conf(ps_decoder_t *ps, ps_seg_t *seg) {
	int32 ascr, lscr, lback;
	int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
	return logmath_exp(ps_get_logmath(ps), post);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

// quietOnce silences sphinxbase's global logger: it writes several hundred
// lines per decoder to stderr otherwise, and the library has no per-decoder
// logger to inject.
var quietOnce sync.Once

// initMu serialises ps_init: it is CPU-bound anyway, and it touches
// sphinxbase's process-wide logging state.
var initMu sync.Mutex

// decoder is one pocketsphinx decoder. It is not safe for concurrent use;
// a stream owns it while open and hands it back to the engine's pool.
type decoder struct {
	ps      *C.ps_decoder_t
	cmnInit []float32 // the model's own CMN prior (-cmninit), for streams with none learned
	// key names the language model the decoder was built with: "" for the
	// generic model, else the domain model's hash. Pooled decoders are
	// only reused for streams asking for the same model.
	key   string
	inUtt bool
}

func newDecoder(key string, args []string) (*decoder, error) {
	quietOnce.Do(func() { C.sb_quiet() })
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
	}
	defer func() {
		for _, p := range argv {
			C.free(unsafe.Pointer(p))
		}
	}()
	initMu.Lock()
	ps := C.sb_init(C.int(len(argv)), &argv[0])
	initMu.Unlock()
	if ps == nil {
		return nil, fmt.Errorf("pocketsphinx: ps_init failed (check model paths): %w", stt.ErrEngine)
	}
	d := &decoder{ps: ps, key: key}
	d.cmnInit = d.cmn()
	return d, nil
}

func (d *decoder) free() {
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
}

// startStream resets per-stream state (noise estimate, frame counter)
// when a pooled decoder moves to a new caller.
func (d *decoder) startStream(cmn []float32) error {
	if cmn == nil {
		cmn = d.cmnInit
	}
	if len(cmn) > 0 && len(cmn) == int(C.sb_cmn_len(d.ps)) {
		C.sb_cmn_set(d.ps, (*C.mfcc_t)(unsafe.Pointer(&cmn[0])))
	}
	if C.ps_start_stream(d.ps) < 0 {
		return fmt.Errorf("pocketsphinx: start stream: %w", stt.ErrEngine)
	}
	return nil
}

func (d *decoder) startUtt() error {
	if C.ps_start_utt(d.ps) < 0 {
		return fmt.Errorf("pocketsphinx: start utterance: %w", stt.ErrEngine)
	}
	d.inUtt = true
	return nil
}

// process feeds 16 kHz samples. The Go slice is passed straight to C: it
// holds no Go pointers and C does not keep it after the call.
func (d *decoder) process(pcm []int16) error {
	if len(pcm) == 0 {
		return nil
	}
	if C.ps_process_raw(d.ps, (*C.int16)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)), 0, 0) < 0 {
		return fmt.Errorf("pocketsphinx: process audio: %w", stt.ErrEngine)
	}
	return nil
}

// cmn returns the current cepstral-mean estimate (nil if the decoder has
// no live CMN).
func (d *decoder) cmn() []float32 {
	n := int(C.sb_cmn_len(d.ps))
	if n == 0 {
		return nil
	}
	v := make([]float32, n)
	C.sb_cmn_get(d.ps, (*C.mfcc_t)(unsafe.Pointer(&v[0])))
	return v
}

func (d *decoder) frames() int { return int(C.ps_get_n_frames(d.ps)) }

func (d *decoder) hyp() string {
	var score C.int32
	h := C.ps_get_hyp(d.ps, &score)
	if h == nil {
		return ""
	}
	return C.GoString(h)
}

func (d *decoder) endUtt() error {
	d.inUtt = false
	if C.ps_end_utt(d.ps) < 0 {
		return fmt.Errorf("pocketsphinx: end utterance: %w", stt.ErrEngine)
	}
	return nil
}

// segment is one entry of the best path, frames at 100 per second.
type segment struct {
	word       string
	start, end int
	conf       float64
}

func (d *decoder) segments(dst []segment) []segment {
	// ps_get_prob runs the lattice forward-backward pass; without it
	// ps_seg_prob has no posteriors and reports every word as certain.
	C.ps_get_prob(d.ps)
	for it := C.ps_seg_iter(d.ps); it != nil; it = C.ps_seg_next(it) {
		var sf, ef C.int
		C.ps_seg_frames(it, &sf, &ef)
		dst = append(dst, segment{
			word:  C.GoString(C.ps_seg_word(it)),
			start: int(sf),
			end:   int(ef),
			conf:  float64(C.sb_seg_conf(d.ps, it)),
		})
	}
	return dst
}
