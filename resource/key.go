package resource

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// SecretPrefix marks Switchboard API key secrets so leaked ones are easy to
// find in logs and repositories.
const SecretPrefix = "sb_live_"

// Organization owns every other resource.
type Organization struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Key is an API key as stored: only the secret's hash is kept.
type Key struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organizationId"`
	Name           string     `json:"name"`
	Hint           string     `json:"hint"`
	Hash           string     `json:"hash"`
	CreatedAt      time.Time  `json:"createdAt"`
	RotatedAt      *time.Time `json:"rotatedAt,omitempty"`
}

// PublicKey is a Key as the API shows it: never the hash.
type PublicKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Hint is the secret's first characters, to tell keys apart in a list.
	Hint      string     `json:"hint"`
	CreatedAt time.Time  `json:"createdAt"`
	RotatedAt *time.Time `json:"rotatedAt,omitempty"`
}

// Public returns the API view of k.
func (k *Key) Public() PublicKey {
	return PublicKey{ID: k.ID, Name: k.Name, Hint: k.Hint, CreatedAt: k.CreatedAt, RotatedAt: k.RotatedAt}
}

// KeyWithSecret is the one response that carries a key's secret.
type KeyWithSecret struct {
	PublicKey
	Secret string `json:"secret"`
}

// KeySpec is the client-settable part of a Key.
type KeySpec struct {
	Name string `json:"name"`
}

// Validate checks a key request.
func (s *KeySpec) Validate() *Problem {
	if s.Name == "" {
		s.Name = "unnamed"
	}
	s.Name = strings.TrimSpace(s.Name)
	if len(s.Name) > maxNameLen {
		return Invalid(FieldError{Field: "name", Message: "must be at most 200 characters"})
	}
	return nil
}

// NewSecret returns a fresh random secret and its hash. 256 random bits make a
// plain SHA-256 safe to store: there is nothing to brute-force.
func NewSecret() (secret, hash string) {
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretHint is the prefix of a secret that lists may show.
func SecretHint(secret string) string {
	n := len(SecretPrefix) + 4
	if len(secret) < n {
		return ""
	}
	return secret[:n] + "…"
}
