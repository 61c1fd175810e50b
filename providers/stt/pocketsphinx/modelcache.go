package pocketsphinx

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/switchboard-voice/switchboard/providers/stt/arpa"
)

// domainModel is a built language model and the slice of the pronunciation
// dictionary it needs, both on disk because PocketSphinx 0.8 reads models
// only from files.
//
// The small dictionary is what makes domain decoders cheap: with the full
// 134k-word dictionary, ps_init maps every dictionary word against the
// model's vocabulary and takes over a second of CPU for a 200-word model;
// with the model's own words it takes about 10 ms.
type domainModel struct {
	key      string // hash of the phrase list; names the decoder pool
	lmPath   string
	dictPath string
}

// modelCache maps phrase-list hashes to model files, evicting the oldest
// beyond max. Decoders already built from an evicted model keep working
// (PocketSphinx has read the files); only new decoders need the files, and
// a miss rebuilds them.
type modelCache struct {
	dir string
	max int

	mu    sync.Mutex // guards order and byKey
	order []uint64
	byKey map[uint64]*domainModel
}

func newModelCache(dir string, max int) *modelCache {
	return &modelCache{dir: dir, max: max, byKey: map[uint64]*domainModel{}}
}

func (c *modelCache) get(key uint64) *domainModel {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKey[key]
}

// put writes the model files and records them. Two goroutines building the
// same phrase list both write identical bytes; the first entry is kept.
func (c *modelCache) put(key uint64, lm *arpa.Model, dict map[string]string) (*domainModel, error) {
	name := strconv.FormatUint(key, 16)
	var lmText, dictText bytes.Buffer
	if _, err := lm.WriteTo(&lmText); err != nil {
		return nil, fmt.Errorf("pocketsphinx: write domain model: %w", err)
	}
	for _, w := range lm.Vocabulary() {
		dictText.WriteString(dict[w])
	}
	m := &domainModel{
		key:      name,
		lmPath:   filepath.Join(c.dir, name+".arpa"),
		dictPath: filepath.Join(c.dir, name+".dict"),
	}
	if err := writeAtomic(m.lmPath, lmText.Bytes()); err != nil {
		return nil, err
	}
	if err := writeAtomic(m.dictPath, dictText.Bytes()); err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byKey[key]; ok {
		return old, nil
	}
	c.byKey[key] = m
	c.order = append(c.order, key)
	if len(c.order) > c.max {
		old := c.byKey[c.order[0]]
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
		os.Remove(old.lmPath)
		os.Remove(old.dictPath)
	}
	return m, nil
}

// writeAtomic renames a complete temp file into place, so that a decoder
// being built concurrently never reads half a model.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err == nil {
		_, err = tmp.Write(b)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("pocketsphinx: write domain model: %w", err)
	}
	return nil
}

func (c *modelCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey = map[uint64]*domainModel{}
	c.order = nil
	return os.RemoveAll(c.dir)
}
