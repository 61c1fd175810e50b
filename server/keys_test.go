package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/server/servertest"
)

type keyBody struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Hint   string `json:"hint"`
	Secret string `json:"secret"`
}

func TestKeysLifecycle(t *testing.T) {
	n := servertest.Start(t, nil)
	admin := n.AdminKey

	res := n.Do("POST", "/v1/keys", admin, map[string]any{"name": "ci"})
	var k keyBody
	res.JSON(t, &k)
	if res.Status != http.StatusCreated || !strings.HasPrefix(k.ID, "key_") || !strings.HasPrefix(k.Secret, "sb_live_") ||
		!strings.HasPrefix(k.Secret, strings.TrimSuffix(k.Hint, "…")) {
		t.Fatalf("create key: %d %s", res.Status, res.Body)
	}
	if res := n.Do("GET", "/v1/agents", k.Secret, nil); res.Status != 200 {
		t.Fatalf("new key rejected: %d", res.Status)
	}

	// The secret is shown once: never in lists, and no hash either.
	res = n.Do("GET", "/v1/keys", admin, nil)
	if strings.Contains(string(res.Body), k.Secret) || strings.Contains(string(res.Body), "hash") {
		t.Fatalf("key list leaks secrets: %s", res.Body)
	}
	var list listBody[keyBody]
	res.JSON(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("want admin and ci keys, got %s", res.Body)
	}

	// Rotation: the old secret stops at once, the new one works.
	res = n.Do("POST", "/v1/keys/"+k.ID+"/rotate", admin, nil)
	var rotated keyBody
	res.JSON(t, &rotated)
	if res.Status != 200 || rotated.ID != k.ID || rotated.Secret == k.Secret || rotated.Secret == "" {
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	if res := n.Do("GET", "/v1/agents", k.Secret, nil); res.Status != 401 {
		t.Fatalf("rotated-away secret still works: %d", res.Status)
	}
	if res := n.Do("GET", "/v1/agents", rotated.Secret, nil); res.Status != 200 {
		t.Fatalf("rotated secret rejected: %d", res.Status)
	}

	// Revocation: the key stops at once, and cannot be revoked twice.
	if res := n.Do("DELETE", "/v1/keys/"+k.ID, admin, nil); res.Status != 204 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	if res := n.Do("GET", "/v1/agents", rotated.Secret, nil); res.Status != 401 || res.Err(t).Code != "UNAUTHORIZED" {
		t.Fatalf("revoked key still works: %d", res.Status)
	}
	if res := n.Do("DELETE", "/v1/keys/"+k.ID, admin, nil); res.Status != 404 {
		t.Fatalf("second revoke: %d", res.Status)
	}
	// A key may revoke itself; the next request with it fails.
	var self keyBody
	n.Do("POST", "/v1/keys", admin, map[string]any{}).JSON(t, &self)
	if res := n.Do("DELETE", "/v1/keys/"+self.ID, self.Secret, nil); res.Status != 204 {
		t.Fatalf("self-revoke: %d", res.Status)
	}
	if res := n.Do("GET", "/v1/keys", self.Secret, nil); res.Status != 401 {
		t.Fatalf("self-revoked key works: %d", res.Status)
	}
	// Malformed bodies are refused like everywhere else.
	if res := n.Do("POST", "/v1/keys", admin, `{"name":5}`); res.Status != 400 || res.Err(t).Details[0].Field != "name" {
		t.Fatalf("bad key body: %d %s", res.Status, res.Body)
	}
}

// Another organization's resources do not exist for a caller: every
// endpoint answers 404 and lists show nothing of theirs.
func TestOrganizationIsolation(t *testing.T) {
	n := servertest.Start(t, nil)
	ownerKey := n.AdminKey
	a := createAgent(t, n, ownerKey, "private")
	var k keyBody
	n.Do("POST", "/v1/keys", ownerKey, map[string]any{"name": "owner-ci"}).JSON(t, &k)

	otherKey := n.CreateOrg("other")
	// Keys from before the restart still work.
	if res := n.Do("GET", "/v1/agents/"+a.ID, ownerKey, nil); res.Status != 200 {
		t.Fatalf("owner lost access after restart: %d", res.Status)
	}

	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1/agents/" + a.ID},
		{"PUT", "/v1/agents/" + a.ID},
		{"DELETE", "/v1/agents/" + a.ID},
		{"DELETE", "/v1/keys/" + k.ID},
		{"POST", "/v1/keys/" + k.ID + "/rotate"},
	} {
		var body any
		if tc.method == "PUT" {
			body = map[string]any{"name": "stolen"}
		}
		res := n.Do(tc.method, tc.path, otherKey, body)
		if res.Status != 404 || res.Err(t).Code != "NOT_FOUND" {
			t.Errorf("%s %s from another org: %d %s", tc.method, tc.path, res.Status, res.Body)
		}
	}
	for _, path := range []string{"/v1/agents", "/v1/keys"} {
		res := n.Do("GET", path, otherKey, nil)
		if strings.Contains(string(res.Body), a.ID) || strings.Contains(string(res.Body), k.ID) {
			t.Errorf("GET %s from another org shows the owner's resources: %s", path, res.Body)
		}
	}
	// The owner's resources are untouched.
	var got agentBody
	n.Do("GET", "/v1/agents/"+a.ID, ownerKey, nil).JSON(t, &got)
	if got.Name != "private" {
		t.Fatalf("another org changed the agent: %+v", got)
	}
	if res := n.Do("GET", "/v1/agents", k.Secret, nil); res.Status != 200 {
		t.Fatalf("another org revoked or rotated the owner's key: %d", res.Status)
	}
}

func TestRestartPersistence(t *testing.T) {
	n := servertest.Start(t, nil)
	a := createAgent(t, n, n.AdminKey, "durable")
	n.Do("PUT", "/v1/agents/"+a.ID, n.AdminKey, map[string]any{"prompt": "remember me"})
	gone := createAgent(t, n, n.AdminKey, "deleted")
	n.Do("DELETE", "/v1/agents/"+gone.ID, n.AdminKey, nil)
	var k keyBody
	n.Do("POST", "/v1/keys", n.AdminKey, map[string]any{"name": "survivor"}).JSON(t, &k)

	n.Restart()

	var got agentBody
	res := n.Do("GET", "/v1/agents/"+a.ID, n.AdminKey, nil)
	res.JSON(t, &got)
	if res.Status != 200 || got.Prompt != "remember me" {
		t.Fatalf("agent after restart: %d %s", res.Status, res.Body)
	}
	if res := n.Do("GET", "/v1/agents/"+gone.ID, n.AdminKey, nil); res.Status != 404 {
		t.Fatalf("deleted agent came back: %d", res.Status)
	}
	if res := n.Do("GET", "/v1/agents", k.Secret, nil); res.Status != 200 {
		t.Fatalf("key lost in restart: %d", res.Status)
	}
	// The admin key is created only on the very first start.
	if n2 := n.AdminKey; n2 == "" {
		t.Fatal("admin key lost")
	}
}
