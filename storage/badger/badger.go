package badger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/switchboard-voice/switchboard/storage"
)

// keyNamespace prefixes every caller key on disk; see the package comment.
const keyNamespace = 'k'

// MaxKeyLen is the longest key Apply accepts. Badger allows 65000 bytes per
// key, one of which is the namespace byte.
const MaxKeyLen = 65000 - 1

// Tuning. Badger's defaults target a large database on a large machine
// (64 MiB memtables times 5, a 256 MiB block cache, 1 GiB value-log files);
// an idle Switchboard node should not hold hundreds of megabytes for that.
const (
	// memTableSize bounds each in-memory table. Badger allocates its arena
	// (~10.5 MiB at this size) up front and keeps it for as long as the
	// store is open, so it is the floor of an idle store's heap. It also
	// bounds one transaction: badger refuses a batch above 15% of it
	// (~1.2 MiB of keys and inline values; values in the value log count
	// only as pointers), far above any record plus its index entries.
	memTableSize = 8 << 20
	// numMemtables is the mutable table plus two waiting to be flushed:
	// enough to absorb a burst while a flush runs, at most ~32 MiB, and
	// only during bursts.
	numMemtables = 3
	// blockCacheSize caches decompressed table blocks for reads. The hot set
	// (agents, active calls) is small; 16 MiB keeps it warm.
	blockCacheSize = 16 << 20
	// indexCacheSize caps table indexes and bloom filters in memory instead
	// of keeping all of them (badger's 0 = unbounded).
	indexCacheSize = 8 << 20
	// valueLogFileSize is moderate so value-log GC rewrites and deletes
	// files in small steps and a fresh store does not preallocate 2 GiB of
	// address space.
	valueLogFileSize = 64 << 20
	// valueThreshold keeps values up to 4 KiB, typical JSON records (calls,
	// agents, tool results), inside the LSM tree where a read is one lookup;
	// larger ones (transcripts, documents) go to the value log so
	// compactions do not keep rewriting them.
	valueThreshold = 4 << 10
	// numCompactors is badger's minimum: one for level 0, one for the rest.
	// Two cores are common for our nodes; more compactors would compete
	// with call audio.
	numCompactors = 2
	// gcDiscardRatio rewrites a value-log file once half of it is garbage,
	// badger's recommended balance between write amplification and space.
	gcDiscardRatio = 0.5
)

// DefaultGCInterval is how often value-log garbage collection runs when
// Options.GCInterval is zero.
const DefaultGCInterval = 10 * time.Minute

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives badger's warnings and errors; info and debug chatter
	// is dropped. Nil discards everything.
	Logger *slog.Logger
	// GCInterval is the pause between value-log garbage collections. Zero
	// means DefaultGCInterval; negative disables collection.
	GCInterval time.Duration
}

// Store is a durable storage.Store backed by one badger directory.
type Store struct {
	db  *bdb.DB
	log *slog.Logger

	// mu guards closed and the lifetime of db: every call holds it shared
	// while it uses db, and Close takes it exclusively, so the database is
	// never closed under a running call.
	mu     sync.RWMutex
	closed bool

	stopGC chan struct{} // closed by Close to stop the collector
	gcDone chan struct{} // closed by the collector when it returns
}

var _ storage.Store = (*Store)(nil)

// Open opens or creates the store in dir. It holds the directory's lock
// until Close; a second Open of the same directory fails.
func Open(dir string, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bopts := bdb.DefaultOptions(dir).
		WithLogger(slogAdapter{logger}).
		WithLoggingLevel(bdb.WARNING).
		// Durability is the contract: Apply returns only after fsync.
		WithSyncWrites(true).
		// Apply only writes blind puts and deletes, so there is nothing for
		// conflict detection to protect, and it costs memory per commit.
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithBlockCacheSize(blockCacheSize).
		WithIndexCacheSize(indexCacheSize).
		WithValueLogFileSize(valueLogFileSize).
		WithValueThreshold(valueThreshold).
		WithNumCompactors(numCompactors).
		// Fewer level-0 tables before compaction keeps read amplification and
		// open table memory low; our write rate is modest.
		WithNumLevelZeroTables(3).
		WithNumLevelZeroTablesStall(8)
	db, err := bdb.Open(bopts)
	if err != nil {
		return nil, fmt.Errorf("storage/badger: open %s: %w", dir, err)
	}
	s := &Store{
		db:     db,
		log:    logger,
		stopGC: make(chan struct{}),
		gcDone: make(chan struct{}),
	}
	interval := opts.GCInterval
	if interval == 0 {
		interval = DefaultGCInterval
	}
	if interval > 0 {
		go s.collect(interval)
	} else {
		close(s.gcDone)
	}
	return s, nil
}

// collect runs value-log garbage collection every interval until Close.
// Badger only reclaims value-log space when asked, so without this a store
// that overwrites records grows without bound.
func (s *Store) collect(interval time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopGC:
			return
		case <-t.C:
			s.collectOnce()
		}
	}
}

// collectOnce rewrites value-log files until none is worth rewriting, or
// Close asks to stop. One RunValueLogGC call handles at most one file.
func (s *Store) collectOnce() {
	for {
		select {
		case <-s.stopGC:
			return
		default:
		}
		err := s.db.RunValueLogGC(gcDiscardRatio)
		switch {
		case err == nil:
			continue
		case errors.Is(err, bdb.ErrNoRewrite), errors.Is(err, bdb.ErrRejected):
			// Nothing to reclaim, or a GC is already running: both normal.
			return
		default:
			s.log.Warn("badger_value_log_gc_failed", "error", err)
			return
		}
	}
}

func dbKey(key string) []byte {
	k := make([]byte, 1+len(key))
	k[0] = keyNamespace
	copy(k[1:], key)
	return k
}

// Get returns a copy of the value under key, or storage.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	var val []byte
	err := s.db.View(func(txn *bdb.Txn) error {
		item, err := txn.Get(dbKey(key))
		if err != nil {
			return err
		}
		// The item's memory belongs to the transaction; copy it out.
		val, err = item.ValueCopy(nil)
		return err
	})
	switch {
	case errors.Is(err, bdb.ErrKeyNotFound):
		return nil, fmt.Errorf("get %q: %w", key, storage.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("storage/badger: get %q: %w", key, err)
	}
	if val == nil {
		val = []byte{}
	}
	return val, nil
}

// List returns up to limit items under prefix with keys strictly after
// `after`, in ascending key order, read from one snapshot. A limit of zero
// or less returns none.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]storage.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	if limit <= 0 {
		return nil, nil
	}
	dbPrefix := dbKey(prefix)
	start := dbPrefix
	if after > prefix {
		start = dbKey(after)
	}
	var out []storage.Item
	err := s.db.View(func(txn *bdb.Txn) error {
		io := bdb.DefaultIteratorOptions
		io.Prefix = dbPrefix
		// Prefetching only pays off for large pages; it also starts
		// goroutines per iteration.
		io.PrefetchValues = false
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(start); it.ValidForPrefix(dbPrefix) && len(out) < limit; it.Next() {
			item := it.Item()
			key := string(item.Key()[1:]) // Key() is only valid until Next.
			if key <= after {
				continue // Seek landed on `after` itself.
			}
			val, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if val == nil {
				val = []byte{}
			}
			out = append(out, storage.Item{Key: key, Value: val})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage/badger: list %q after %q: %w", prefix, after, err)
	}
	return out, nil
}

// Apply commits the batch in one synced transaction. A batch that does not
// fit in one transaction fails with storage.ErrBatchTooLarge and writes
// nothing.
func (s *Store) Apply(ctx context.Context, b *storage.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, op := range b.Ops {
		switch {
		case op.Key == "":
			return fmt.Errorf("apply: empty key: %w", storage.ErrInvalidKey)
		case len(op.Key) > MaxKeyLen:
			return fmt.Errorf("apply: key of %d bytes, limit %d: %w", len(op.Key), MaxKeyLen, storage.ErrInvalidKey)
		case int64(len(op.Value)) > valueLogFileSize:
			return fmt.Errorf("apply: value of %d bytes under %q, limit %d: %w",
				len(op.Value), op.Key, valueLogFileSize, storage.ErrBatchTooLarge)
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return storage.ErrClosed
	}
	if len(b.Ops) == 0 {
		return nil
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	for _, op := range b.Ops {
		var err error
		if op.Delete {
			err = txn.Delete(dbKey(op.Key))
		} else {
			// No copy needed: commit copies the value into the memtable
			// arena and the value log and keeps no reference, so the caller
			// may reuse its slice once Apply returns.
			err = txn.Set(dbKey(op.Key), op.Value)
		}
		if errors.Is(err, bdb.ErrTxnTooBig) {
			return fmt.Errorf("apply: %d operations: %w", len(b.Ops), storage.ErrBatchTooLarge)
		}
		if err != nil {
			return fmt.Errorf("storage/badger: apply %q: %w", op.Key, err)
		}
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("storage/badger: commit: %w", err)
	}
	return nil
}

// Close stops garbage collection, waits for running calls and closes the
// database. Later calls, including Close, return storage.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	// Holding the lock exclusively means no call is using db; once closed
	// is set none will start.
	s.closed = true
	s.mu.Unlock()

	close(s.stopGC)
	<-s.gcDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage/badger: close: %w", err)
	}
	return nil
}

// slogAdapter routes badger's logger into slog. Badger formats printf-style
// text; it goes into a "detail" attribute so the message stays constant.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Errorf(format string, args ...any) {
	a.l.Error("badger_error", "detail", strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (a slogAdapter) Warningf(format string, args ...any) {
	a.l.Warn("badger_warning", "detail", strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// Infof drops badger's informational chatter (compactions, flushes), which
// it emits at a rate that would drown the server's own logs.
func (a slogAdapter) Infof(string, ...any) {}

// Debugf drops badger's debug output.
func (a slogAdapter) Debugf(string, ...any) {}
