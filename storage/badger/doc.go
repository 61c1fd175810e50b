// Package badger is the embedded, durable storage.Store, built on
// github.com/dgraph-io/badger/v4.
//
// Every Apply is one badger transaction committed with SyncWrites, so a
// batch is visible all at once and is on disk before Apply returns; a
// process killed with SIGKILL right after an acknowledgement finds the batch
// on restart. A batch that does not fit in one transaction is refused with
// storage.ErrBatchTooLarge instead of being split.
//
// On disk every caller key is stored behind a one-byte namespace (see
// keyNamespace). Badger reserves keys starting with "!badger!" for itself;
// the namespace keeps caller keys out of that space, and keeps badger's
// internal keys out of List results.
//
// The options are tuned for a server that is idle most of the time and
// stores small JSON records: memory in use at rest stays in the tens of
// megabytes rather than badger's default of several hundred. See Open.
package badger
