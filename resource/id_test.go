package resource

import (
	"sort"
	"sync"
	"testing"
)

func TestNewIDIsValidAndMonotonic(t *testing.T) {
	const n = 10000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = NewID(PrefixAgent)
		if !ValidID(PrefixAgent, ids[i]) {
			t.Fatalf("invalid ID %q", ids[i])
		}
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("IDs made in sequence do not sort in creation order")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate ID %s", id)
		}
		seen[id] = true
	}
}

func TestNewIDConcurrentUnique(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				id := NewID(PrefixKey)
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestValidID(t *testing.T) {
	good := NewID(PrefixAgent)
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{good, true},
		{"agent_", false},
		{"key_" + good[len("agent_"):], false},
		{good + "0", false},
		{good[:len(good)-1] + "U", false}, // U is not in Crockford's alphabet
		{good[:len(good)-1] + "/", false},
		{"agent_../../../../etc/passwd0000", false},
	} {
		if got := ValidID(PrefixAgent, tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
