package keyring

import (
	"time"

	"github.com/switchboard-voice/switchboard/resource"
)

// Authenticate checks a bearer secret and takes one token from its key's
// bucket. Answer: *Principal, or an UNAUTHORIZED problem.
type Authenticate struct{ Secret string }

// Principal is who made a request.
type Principal struct {
	OrgID string
	KeyID string
	// RetryAfter is non-zero when the key is over its rate limit.
	RetryAfter time.Duration
}

// CreateKey makes a key. Answer: *resource.KeyWithSecret.
type CreateKey struct {
	OrgID string
	Spec  resource.KeySpec
}

// ListKeys pages through an organization's keys. Answer: *KeyList.
type ListKeys struct {
	OrgID string
	After string
	Limit int
}

// KeyList is one page of keys.
type KeyList struct {
	Items   []resource.PublicKey
	Next    string
	HasMore bool
}

// RevokeKey deletes a key. Answer: *Revoked.
type RevokeKey struct{ OrgID, ID string }

// Revoked confirms a RevokeKey.
type Revoked struct{ ID string }

// RotateKey gives a key a new secret; the old one stops working.
// Answer: *resource.KeyWithSecret.
type RotateKey struct{ OrgID, ID string }
