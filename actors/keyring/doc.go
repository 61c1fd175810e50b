// Package keyring holds the keyring actor: it owns the API keys of every
// organization, authenticates request secrets against their stored hashes,
// and applies each key's rate limit (a token bucket) in the same step.
//
// Revoking or rotating goes through the actor, which drops the old hash from
// its cache in the same step, so an old secret stops working at once.
package keyring
