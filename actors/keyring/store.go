package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Storage key layout. A key is stored under its organization (for listing)
// and under its hash (for authentication); both are written in one batch.
const (
	orgPrefix  = "org/"
	hashPrefix = "keyhash/"
)

func keyPrefix(orgID string) string  { return "o/" + orgID + "/key/" }
func keyKey(orgID, id string) string { return keyPrefix(orgID) + id }

func putKey(b *storage.Batch, k *resource.Key) error {
	if err := b.PutJSON(keyKey(k.OrganizationID, k.ID), k); err != nil {
		return err
	}
	return b.PutJSON(hashPrefix+k.Hash, k)
}

// CreateOrganization stores a new organization with a first key named
// "admin" and returns the organization and the key's secret. It writes to
// the store directly and is meant for operators and first start.
func CreateOrganization(ctx context.Context, s storage.Store, name string) (*resource.Organization, string, error) {
	org, secret, b, err := newOrganization(name)
	if err != nil {
		return nil, "", err
	}
	if err := s.Apply(ctx, b); err != nil {
		return nil, "", fmt.Errorf("keyring: create organization: %w", err)
	}
	return org, secret, nil
}

func newOrganization(name string) (*resource.Organization, string, *storage.Batch, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", nil, errors.New("keyring: organization name is required")
	}
	now := time.Now().UTC()
	org := &resource.Organization{ID: resource.NewID(resource.PrefixOrganization), Name: name, CreatedAt: now}
	secret, hash := resource.NewSecret()
	key := &resource.Key{
		ID: resource.NewID(resource.PrefixKey), OrganizationID: org.ID, Name: "admin",
		Hint: resource.SecretHint(secret), Hash: hash, CreatedAt: now,
	}
	b := new(storage.Batch)
	if err := b.PutJSON(orgPrefix+org.ID, org); err != nil {
		return nil, "", nil, err
	}
	if err := putKey(b, key); err != nil {
		return nil, "", nil, err
	}
	return org, secret, b, nil
}

// Bootstrap creates the first organization and its admin key when the store
// has no organization, and writes the secret to <dataDir>/admin.key (0600).
// It returns the secret only when it created one. The file is written before
// the key is stored: a crash in between leaves no key that nobody knows.
func Bootstrap(ctx context.Context, s storage.Store, dataDir string) (string, error) {
	existing, err := s.List(ctx, orgPrefix, "", 1)
	if err != nil {
		return "", fmt.Errorf("keyring: bootstrap: %w", err)
	}
	if len(existing) > 0 {
		return "", nil
	}
	_, secret, b, err := newOrganization("default")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, "admin.key")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keyring: write admin key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("keyring: write admin key: %w", err)
	}
	if err := s.Apply(ctx, b); err != nil {
		return "", fmt.Errorf("keyring: bootstrap: %w", err)
	}
	return secret, nil
}
