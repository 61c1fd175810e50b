// Package memory is an in-process storage.Store kept in a sorted slice.
//
// It is the backend for tests and for throwaway local runs: it honours the
// whole storage contract (ordering, atomic batches, copies in and out,
// ErrClosed after Close) except durability, since nothing outlives the
// process. Reads take a shared lock, writes an exclusive one, so a batch is
// all-or-nothing visible by construction.
package memory
