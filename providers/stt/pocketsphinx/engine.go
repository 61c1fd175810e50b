package pocketsphinx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/stt/arpa"
)

// ErrEngineClosed is returned by NewStream after Engine.Close.
var ErrEngineClosed = errors.New("pocketsphinx: engine closed")

// DecodeRate is the only rate the en-us acoustic model decodes.
const DecodeRate = 16000

// Default paths of Debian's pocketsphinx-en-us package.
const (
	DefaultModelDir = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultDict     = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
	DefaultLM       = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
)

// Options configure an Engine. Zero fields take the defaults.
type Options struct {
	ModelDir string // acoustic model directory (-hmm)
	Dict     string // pronunciation dictionary (-dict)
	LM       string // generic language model (-lm)
	// MaxStreams caps concurrently open streams (each holds a decoder of
	// roughly 60 MB with the generic model); NewStream waits for a free
	// one until its context ends. Default 16.
	MaxStreams int
	// IdleDecoders is how many released decoders are kept for reuse,
	// generic and domain together (default 8); the least recently
	// released beyond that are freed.
	IdleDecoders int
	// ExtraArgs are appended to the decoder's command-line configuration
	// (for example "-beam", "1e-40") after the engine's own.
	ExtraArgs []string
}

// Engine is an stt.Streamer backed by a pool of PocketSphinx decoders.
// It is safe for concurrent use.
type Engine struct {
	opt Options
	// slots holds one token per stream that may be open; NewStream takes
	// one and Close returns it, bounding memory and CPU.
	slots chan struct{}

	mu     sync.Mutex // guards idle, closed and cmnPrior
	idle   []*decoder
	closed bool
	// cmnPrior is, per input sample rate, the cepstral mean left by the
	// last finished utterance at that rate. PocketSphinx's live CMN only
	// updates at utterance ends, so a stream starting from the model's
	// wideband prior decodes its whole first utterance with the wrong
	// channel estimate; on upsampled 8 kHz phone audio (no energy above
	// 4 kHz) that costs most of the words. Starting from the last phone
	// call's estimate fixes it from the second call on. The prior is a
	// channel property, not a caller's: it carries no content.
	cmnPrior map[int][]float32

	models *modelCache

	dictOnce sync.Once
	dict     map[string]string
	dictErr  error
}

var _ stt.Streamer = (*Engine)(nil)

// New checks the model files and returns an engine. Decoders are created
// lazily; call Prewarm to pay their cost up front.
func New(opt Options) (*Engine, error) {
	if opt.ModelDir == "" {
		opt.ModelDir = DefaultModelDir
	}
	if opt.Dict == "" {
		opt.Dict = DefaultDict
	}
	if opt.LM == "" {
		opt.LM = DefaultLM
	}
	if opt.MaxStreams <= 0 {
		opt.MaxStreams = 16
	}
	if opt.IdleDecoders <= 0 {
		opt.IdleDecoders = 8
	}
	for _, p := range []string{filepath.Join(opt.ModelDir, "mdef"), opt.Dict, opt.LM} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("pocketsphinx: model file: %w: %w", err, stt.ErrEngine)
		}
	}
	dir, err := os.MkdirTemp("", "switchboard-stt-*")
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: domain model dir: %w", err)
	}
	e := &Engine{
		opt:      opt,
		slots:    make(chan struct{}, opt.MaxStreams),
		models:   newModelCache(dir, 64),
		cmnPrior: map[int][]float32{},
	}
	return e, nil
}

// args is the decoder configuration for a dictionary and language model.
func (e *Engine) args(dict, lm string) []string {
	return append([]string{
		"-hmm", e.opt.ModelDir,
		"-dict", dict,
		"-lm", lm,
		"-samprate", strconv.Itoa(DecodeRate),
	}, e.opt.ExtraArgs...)
}

// Prewarm creates generic-model decoders until n are idle, so the first
// calls do not pay for ps_init.
func (e *Engine) Prewarm(n int) error {
	n = min(n, e.opt.IdleDecoders)
	for {
		e.mu.Lock()
		have, closed := len(e.idle), e.closed
		e.mu.Unlock()
		if closed {
			return ErrEngineClosed
		}
		if have >= n {
			return nil
		}
		d, err := newDecoder("", e.args(e.opt.Dict, e.opt.LM))
		if err != nil {
			return err
		}
		e.release(d)
	}
}

// NewStream opens a stream, reusing an idle decoder when there is one.
func (e *Engine) NewStream(ctx context.Context, cfg stt.Config) (stt.Stream, error) {
	if l := strings.ToLower(cfg.Language); l != "" && l != "en" && l != "en-us" {
		return nil, fmt.Errorf("pocketsphinx: language %q: %w", cfg.Language, stt.ErrUnsupportedLanguage)
	}
	if cfg.SampleRate == 0 {
		cfg.SampleRate = DecodeRate
	}
	if cfg.SampleRate < 0 {
		return nil, fmt.Errorf("pocketsphinx: %d Hz: %w", cfg.SampleRate, stt.ErrUnsupportedRate)
	}
	var up upsampler
	if cfg.SampleRate != DecodeRate {
		r, err := newUpsampler(cfg.SampleRate, DecodeRate)
		if err != nil {
			return nil, fmt.Errorf("pocketsphinx: %d Hz: %w: %w", cfg.SampleRate, err, stt.ErrUnsupportedRate)
		}
		up = r
	}
	var model *domainModel
	if len(cfg.Phrases) > 0 {
		m, err := e.domainModel(cfg.Phrases)
		if err != nil {
			return nil, err
		}
		model = m
	}

	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	d, err := e.acquire(model)
	if err == nil {
		e.mu.Lock()
		prior := e.cmnPrior[cfg.SampleRate]
		e.mu.Unlock()
		err = d.startStream(prior)
		if err != nil {
			d.free()
		}
	}
	if err != nil {
		<-e.slots
		return nil, err
	}
	return newStream(e, d, cfg.SampleRate, up), nil
}

// acquire takes an idle decoder built for the same model, or creates one.
func (e *Engine) acquire(m *domainModel) (*decoder, error) {
	key, dict, lm := "", e.opt.Dict, e.opt.LM
	if m != nil {
		key, dict, lm = m.key, m.dictPath, m.lmPath
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrEngineClosed
	}
	for i := len(e.idle) - 1; i >= 0; i-- {
		if d := e.idle[i]; d.key == key {
			e.idle = append(e.idle[:i], e.idle[i+1:]...)
			e.mu.Unlock()
			return d, nil
		}
	}
	e.mu.Unlock()
	return newDecoder(key, e.args(dict, lm))
}

// release pools a decoder whose utterance has ended, freeing the least
// recently released one when the pool is full.
func (e *Engine) release(d *decoder) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		d.free()
		return
	}
	e.idle = append(e.idle, d)
	var evict *decoder
	if len(e.idle) > e.opt.IdleDecoders {
		evict = e.idle[0]
		e.idle = e.idle[1:]
	}
	e.mu.Unlock()
	if evict != nil {
		evict.free()
	}
}

// learnChannel records a finished utterance's cepstral mean as the prior
// for the next stream at the same input rate.
func (e *Engine) learnChannel(rate int, cmn []float32) {
	if cmn == nil {
		return
	}
	e.mu.Lock()
	e.cmnPrior[rate] = cmn
	e.mu.Unlock()
}

// streamDone is called once by a closing stream.
func (e *Engine) streamDone(d *decoder, healthy bool) {
	if healthy {
		e.release(d)
	} else {
		d.free()
	}
	<-e.slots
}

// Close frees idle decoders and the domain model files. Streams still open
// keep working and free their decoder when closed.
func (e *Engine) Close() error {
	e.mu.Lock()
	idle := e.idle
	e.idle = nil
	e.closed = true
	e.mu.Unlock()
	for _, d := range idle {
		d.free()
	}
	return e.models.close()
}

// pronunciations returns the dictionary as word → its lines, read once.
// Domain models are restricted to words it has, because PocketSphinx
// cannot decode the rest.
func (e *Engine) pronunciations() (map[string]string, error) {
	e.dictOnce.Do(func() { e.dict, e.dictErr = readDict(e.opt.Dict) })
	return e.dict, e.dictErr
}

func readDict(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: dictionary: %w: %w", err, stt.ErrEngine)
	}
	defer f.Close()
	words := make(map[string]string, 140000)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.IndexAny(line, " \t")
		if i <= 0 {
			continue
		}
		w := line[:i]
		if j := strings.IndexByte(w, '('); j > 0 { // alternate pronunciation "word(2)"
			w = w[:j]
		}
		words[w] += line + "\n"
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pocketsphinx: dictionary: %w: %w", err, stt.ErrEngine)
	}
	return words, nil
}

// PrepareDomain builds and caches the domain model for a phrase list, so
// that an agent can pay for it when it is saved rather than on its first
// call. NewStream does the same on a cache miss.
func (e *Engine) PrepareDomain(phrases []string) error {
	_, err := e.domainModel(phrases)
	return err
}

func (e *Engine) domainModel(phrases []string) (*domainModel, error) {
	key := hashPhrases(phrases)
	if m := e.models.get(key); m != nil {
		return m, nil
	}
	dict, err := e.pronunciations()
	if err != nil {
		return nil, err
	}
	lm, err := arpa.Build(phrases, arpa.Options{Known: func(w string) bool { return dict[w] != "" }})
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: domain model: %w", err)
	}
	return e.models.put(key, lm, dict)
}

// hashPhrases keys the cache. Each phrase is length-prefixed so that
// ["ab","c"] and ["a","bc"] differ.
func hashPhrases(phrases []string) uint64 {
	h := xxh3.New()
	var n [8]byte
	for _, p := range phrases {
		l := len(p)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.WriteString(p)
	}
	return h.Sum64()
}
