package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/server"
	"github.com/switchboard-voice/switchboard/server/servertest"
	"github.com/switchboard-voice/switchboard/storage"
)

type agentBody struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Prompt       string            `json:"prompt"`
	FirstMessage string            `json:"firstMessage"`
	Language     string            `json:"language"`
	CollectionID string            `json:"collectionId"`
	Variables    map[string]string `json:"variables"`
	Voice        struct {
		Provider string `json:"provider"`
		VoiceID  string `json:"voiceId"`
	} `json:"voice"`
	LLM struct {
		Provider    string  `json:"provider"`
		Temperature float64 `json:"temperature"`
	} `json:"llm"`
	Turn struct {
		EndpointingMs int `json:"endpointingMs"`
	} `json:"turn"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

type listBody[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"nextCursor"`
	HasMore    bool    `json:"hasMore"`
}

func createAgent(t *testing.T, n *servertest.Node, key, name string) agentBody {
	t.Helper()
	res := n.Do("POST", "/v1/agents", key, map[string]any{"name": name})
	if res.Status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", res.Status, res.Body)
	}
	var a agentBody
	res.JSON(t, &a)
	return a
}

func TestAgentCRUD(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey

	res := n.Do("POST", "/v1/agents", key, map[string]any{
		"name": "Front desk", "prompt": "You book appointments.", "firstMessage": "Hello, how can I help?",
		"voice": map[string]any{"voiceId": "slt"}, "variables": map[string]string{"city": "Lisbon"},
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created agentBody
	res.JSON(t, &created)
	if !strings.HasPrefix(created.ID, "agent_") || created.Name != "Front desk" || created.Voice.VoiceID != "slt" ||
		created.Voice.Provider != "local" || created.LLM.Provider != "local" || created.Language != "en-US" ||
		created.Variables["city"] != "Lisbon" || created.Turn.EndpointingMs != 300 {
		t.Fatalf("created agent has wrong fields or defaults: %+v", created)
	}

	var got agentBody
	res = n.Do("GET", "/v1/agents/"+created.ID, key, nil)
	res.JSON(t, &got)
	if res.Status != http.StatusOK || got.Prompt != "You book appointments." || got.FirstMessage != "Hello, how can I help?" {
		t.Fatalf("get: %d %+v", res.Status, got)
	}

	// An update replaces the fields it names and keeps the others.
	res = n.Do("PUT", "/v1/agents/"+created.ID, key, map[string]any{"prompt": "New prompt", "llm": map[string]any{"temperature": 0.2}})
	var updated agentBody
	res.JSON(t, &updated)
	if res.Status != http.StatusOK || updated.Prompt != "New prompt" || updated.LLM.Temperature != 0.2 ||
		updated.LLM.Provider != "local" || updated.Name != "Front desk" || updated.Voice.VoiceID != "slt" {
		t.Fatalf("update: %d %+v", res.Status, updated)
	}
	if updated.CreatedAt != created.CreatedAt || updated.UpdatedAt <= created.UpdatedAt {
		t.Fatalf("timestamps: created %s→%s, updated %s→%s", created.CreatedAt, updated.CreatedAt, created.UpdatedAt, updated.UpdatedAt)
	}

	var list listBody[agentBody]
	n.Do("GET", "/v1/agents", key, nil).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].Prompt != "New prompt" || list.HasMore || list.NextCursor != nil {
		t.Fatalf("list: %+v", list)
	}

	if res := n.Do("DELETE", "/v1/agents/"+created.ID, key, nil); res.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if res := n.Do(m, "/v1/agents/"+created.ID, key, nil); res.Status != http.StatusNotFound || res.Err(t).Code != "NOT_FOUND" {
			t.Fatalf("%s after delete: %d %s", m, res.Status, res.Body)
		}
	}
	if res := n.Do("PUT", "/v1/agents/"+created.ID, key, map[string]any{"name": "x"}); res.Status != http.StatusNotFound {
		t.Fatalf("update after delete: %d %s", res.Status, res.Body)
	}
}

func TestProvision(t *testing.T) {
	n := servertest.Start(t, nil)
	res := n.Do("POST", "/v1/agents/provision", n.AdminKey, map[string]any{
		"agent": map[string]any{"name": "FAQ bot"},
		"collection": map[string]any{"name": "faq", "documents": []map[string]any{
			{"title": "Hours", "content": "We open at nine."},
			{"title": "Hours again", "content": "We open at nine."},
			{"type": "markdown", "content": "# Parking\nFree after six."},
		}},
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("provision: %d %s", res.Status, res.Body)
	}
	var out struct {
		Agent      agentBody `json:"agent"`
		Collection struct {
			ID            string `json:"id"`
			Name          string `json:"name"`
			DocumentCount int    `json:"documentCount"`
		} `json:"collection"`
	}
	res.JSON(t, &out)
	if !strings.HasPrefix(out.Collection.ID, "col_") || out.Agent.CollectionID != out.Collection.ID {
		t.Fatalf("agent not linked to its collection: %+v", out)
	}
	// The identical second document is stored once.
	if out.Collection.DocumentCount != 2 {
		t.Fatalf("documentCount = %d, want 2 (deduplicated)", out.Collection.DocumentCount)
	}
	var got agentBody
	n.Do("GET", "/v1/agents/"+out.Agent.ID, n.AdminKey, nil).JSON(t, &got)
	if got.CollectionID != out.Collection.ID {
		t.Fatalf("stored agent lost its collection: %+v", got)
	}
	// All or nothing: an invalid document stores no agent either.
	res = n.Do("POST", "/v1/agents/provision", n.AdminKey, map[string]any{
		"agent":      map[string]any{"name": "Broken"},
		"collection": map[string]any{"name": "c", "documents": []map[string]any{{"type": "url", "url": "ftp://x"}}},
	})
	if e := res.Err(t); res.Status != 400 || e.Code != "VALIDATION_ERROR" || e.Details[0].Field != "collection.documents[0].url" {
		t.Fatalf("invalid provision: %d %s", res.Status, res.Body)
	}
	var list listBody[agentBody]
	n.Do("GET", "/v1/agents", n.AdminKey, nil).JSON(t, &list)
	if len(list.Data) != 1 {
		t.Fatalf("a rejected provision stored an agent: %d agents", len(list.Data))
	}
}

// Paging while other clients insert and delete must show every agent that
// existed throughout exactly once.
func TestPagingStableUnderConcurrentWrites(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	const total = 250
	stable := map[string]bool{}
	var doomed []string
	for i := 0; i < total; i++ {
		a := createAgent(t, n, key, fmt.Sprintf("agent %03d", i))
		if i%5 == 0 {
			doomed = append(doomed, a.ID) // deleted while paging
		} else {
			stable[a.ID] = true
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(2)
	go func() { // inserts
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if res := n.Do("POST", "/v1/agents", key, map[string]any{"name": fmt.Sprintf("late %d", i)}); res.Status == 201 {
				writes.Add(1)
			}
		}
	}()
	go func() { // deletes
		defer wg.Done()
		for _, id := range doomed {
			select {
			case <-stop:
				return
			default:
			}
			if res := n.Do("DELETE", "/v1/agents/"+id, key, nil); res.Status == 204 {
				writes.Add(1)
			}
		}
	}()

	seen := map[string]int{}
	cursor := ""
	pages := 0
	for {
		path := "/v1/agents?limit=7"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := n.Do("GET", path, key, nil)
		if res.Status != 200 {
			t.Fatalf("page: %d %s", res.Status, res.Body)
		}
		var page listBody[agentBody]
		res.JSON(t, &page)
		pages++
		for _, a := range page.Data {
			seen[a.ID]++
		}
		if !page.HasMore {
			if page.NextCursor != nil {
				t.Fatalf("last page has a nextCursor")
			}
			break
		}
		if page.NextCursor == nil || len(page.Data) != 7 {
			t.Fatalf("page with more has %d items and cursor %v", len(page.Data), page.NextCursor)
		}
		cursor = *page.NextCursor
	}
	close(stop)
	wg.Wait()

	for id, count := range seen {
		if count > 1 {
			t.Errorf("%s listed %d times", id, count)
		}
	}
	for id := range stable {
		if seen[id] != 1 {
			t.Errorf("%s existed throughout but was listed %d times", id, seen[id])
		}
	}
	if writes.Load() == 0 {
		t.Fatal("no concurrent write happened while paging; the test proved nothing")
	}
	t.Logf("%d pages, %d agents seen, %d concurrent writes", pages, len(seen), writes.Load())
}

func TestErrors(t *testing.T) {
	n := servertest.Start(t, nil)
	key := n.AdminKey
	a := createAgent(t, n, key, "target")

	cases := []struct {
		name, method, path string
		key                string
		body               any
		status             int
		code               string
		fields             []string
	}{
		{"no key", "GET", "/v1/agents", "", nil, 401, "UNAUTHORIZED", nil},
		{"wrong key", "GET", "/v1/agents", "sb_live_nope", nil, 401, "UNAUTHORIZED", nil},
		{"unknown route", "GET", "/v1/nothing-here", key, nil, 404, "NOT_FOUND", nil},
		{"missing agent", "GET", "/v1/agents/agent_01m00000000000000000000000", key, nil, 404, "NOT_FOUND", nil},
		{"malformed id", "GET", "/v1/agents/../../keys", key, nil, 404, "NOT_FOUND", nil},
		{"malformed JSON", "POST", "/v1/agents", key, `{"name":`, 400, "VALIDATION_ERROR", []string{"body"}},
		{"not an object", "POST", "/v1/agents", key, `[1,2]`, 400, "VALIDATION_ERROR", []string{"body"}},
		{"empty body", "POST", "/v1/agents", key, ``, 400, "VALIDATION_ERROR", []string{"body"}},
		{"missing name", "POST", "/v1/agents", key, `{}`, 400, "VALIDATION_ERROR", []string{"name"}},
		{"every problem at once", "POST", "/v1/agents", key,
			`{"name":"x","colour":"red","voice":{"provider":"bogus"},"llm":{"temperature":"hot"},"turn":{"endpointingMs":-5}}`,
			400, "VALIDATION_ERROR", []string{"colour", "llm.temperature", "turn.endpointingMs", "voice.provider"}},
		{"out of range", "PUT", "/v1/agents/" + a.ID, key, `{"llm":{"temperature":7}}`, 400, "VALIDATION_ERROR", []string{"llm.temperature"}},
		{"read-only field", "PUT", "/v1/agents/" + a.ID, key, `{"id":"agent_x"}`, 400, "VALIDATION_ERROR", []string{"id"}},
		{"bad limit", "GET", "/v1/agents?limit=1000", key, nil, 400, "VALIDATION_ERROR", []string{"limit"}},
		{"bad cursor", "GET", "/v1/agents?cursor=zzz", key, nil, 400, "VALIDATION_ERROR", []string{"cursor"}},
		{"JSON body too large", "POST", "/v1/agents", key, `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "VALIDATION_ERROR", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := n.With(t).Do(tc.method, tc.path, tc.key, tc.body)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			e := res.Err(t)
			if e.Code != tc.code {
				t.Fatalf("code %s, want %s", e.Code, tc.code)
			}
			var fields []string
			for _, d := range e.Details {
				fields = append(fields, d.Field)
			}
			slices.Sort(fields)
			if tc.fields != nil && strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v", fields, tc.fields)
			}
		})
	}
	// A body over the server's cap is refused from its Content-Length,
	// before the server reads it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", key, 33<<20)
	over, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(over.Body)
	if over.StatusCode != 413 || !strings.Contains(string(raw), `"code":"VALIDATION_ERROR"`) || over.Header.Get("X-Request-Id") == "" {
		t.Fatalf("oversized body: %d %s", over.StatusCode, raw)
	}

	// The stored agent survived every bad request unchanged.
	var got agentBody
	n.Do("GET", "/v1/agents/"+a.ID, key, nil).JSON(t, &got)
	if got.Name != "target" || got.LLM.Temperature != 0.7 {
		t.Fatalf("bad requests changed the agent: %+v", got)
	}
	// A client's request ID is echoed when it is plain.
	req, _ := http.NewRequest("GET", n.URL+"/health", nil)
	req.Header.Set("X-Request-Id", "trace-123")
	res, err := n.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Request-Id") != "trace-123" {
		t.Fatalf("X-Request-Id = %q", res.Header.Get("X-Request-Id"))
	}
}

// failingStore fails every write while armed, to reach INTERNAL_ERROR.
type failingStore struct {
	storage.Store
	armed atomic.Bool
}

func (f *failingStore) Apply(ctx context.Context, b *storage.Batch) error {
	if f.armed.Load() {
		return errors.New("disk on fire: /secret/path")
	}
	return f.Store.Apply(ctx, b)
}

func TestInternalErrorHidesCause(t *testing.T) {
	var fs *failingStore
	n := servertest.Start(t, nil, server.WithStoreWrapper(func(s storage.Store) storage.Store {
		fs = &failingStore{Store: s}
		return fs
	}))
	fs.armed.Store(true)
	res := n.Do("POST", "/v1/agents", n.AdminKey, map[string]any{"name": "x"})
	e := res.Err(t)
	if res.Status != 500 || e.Code != "INTERNAL_ERROR" || strings.Contains(string(res.Body), "secret") || strings.Contains(string(res.Body), "fire") {
		t.Fatalf("internal error: %d %s", res.Status, res.Body)
	}
	fs.armed.Store(false)
	// Nothing half-written: the failed create left no agent behind.
	var list listBody[agentBody]
	n.Do("GET", "/v1/agents", n.AdminKey, nil).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("failed create stored %d agents", len(list.Data))
	}
	createAgent(t, n, n.AdminKey, "after recovery")
}

func TestRateLimit(t *testing.T) {
	n := servertest.Start(t, func(c *config.Config) {
		// A bucket of 3 that refills once every 100 s: the 4th request in a
		// row is over the limit however slow the machine is.
		c.RateLimit = config.RateLimit{RequestsPerSecond: 0.01, Burst: 3}
	})
	for i := 0; i < 3; i++ {
		if res := n.Do("GET", "/v1/agents", n.AdminKey, nil); res.Status != 200 {
			t.Fatalf("request %d within burst: %d %s", i, res.Status, res.Body)
		}
	}
	res := n.Do("GET", "/v1/agents", n.AdminKey, nil)
	if res.Status != 429 || res.Err(t).Code != "RATE_LIMITED" {
		t.Fatalf("over limit: %d %s", res.Status, res.Body)
	}
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
	// Public routes carry no key and are not limited.
	if res := n.Do("GET", "/health", "", nil); res.Status != 200 {
		t.Fatalf("health while limited: %d", res.Status)
	}
}

func TestRateLimitIsPerKey(t *testing.T) {
	n := servertest.Start(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{RequestsPerSecond: 0.01, Burst: 2}
	})
	var k struct {
		Secret string `json:"secret"`
	}
	n.Do("POST", "/v1/keys", n.AdminKey, map[string]any{"name": "second"}).JSON(t, &k)
	n.Do("GET", "/v1/agents", n.AdminKey, nil)
	if res := n.Do("GET", "/v1/agents", n.AdminKey, nil); res.Status != 429 {
		t.Fatalf("admin key should be limited: %d", res.Status)
	}
	if res := n.Do("GET", "/v1/agents", k.Secret, nil); res.Status != 200 {
		t.Fatalf("second key is limited by the first key's use: %d %s", res.Status, res.Body)
	}
}
