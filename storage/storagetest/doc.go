// Package storagetest is the conformance suite every storage.Store backend
// runs, so that the in-memory store used in tests and the durable stores
// used in production cannot drift apart.
//
// A backend's test calls Run with a function that opens a fresh, empty
// store; its benchmarks call Bench the same way. The suite closes every
// store it opens.
package storagetest
