package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/server/servertest"
)

// A cloud model that fails upstream is PROVIDER_UNAVAILABLE, naming the
// provider, and the provider key never reaches the response.
func TestProviderUnavailableNamesProviderNotKey(t *testing.T) {
	const key = "sk-test-secret-key-0123456789"
	var sawKey bool
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawKey = r.Header.Get("Authorization") == "Bearer "+key
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"message":"the model is overloaded","type":"server_error"}}`))
	}))
	defer upstream.Close()
	n := servertest.Start(t, func(c *config.Config) {
		c.Providers.OpenAI = config.Provider{APIKey: key, BaseURL: upstream.URL}
	})
	res := n.Do("POST", "/v1/agents", n.AdminKey, map[string]any{"name": "Cloud", "llm": map[string]any{"provider": "openai"}})
	var a agentBody
	res.JSON(t, &a)
	res = n.Do("POST", "/v1/agents/"+a.ID+"/chat", n.AdminKey, map[string]any{"message": "hello"})
	e := res.Err(t)
	if res.Status != http.StatusBadGateway || e.Code != "PROVIDER_UNAVAILABLE" || !strings.Contains(e.Message, "openai") {
		t.Fatalf("upstream failure: %d %s", res.Status, res.Body)
	}
	if !sawKey {
		t.Fatal("the stand-in never saw the configured key: the request did not reach the provider")
	}
	if strings.Contains(string(res.Body), key) {
		t.Fatalf("the provider key leaked into the response: %s", res.Body)
	}
	// A provider with no key configured is refused the same way.
	res = n.Do("POST", "/v1/agents", n.AdminKey, map[string]any{"name": "Claude", "llm": map[string]any{"provider": "anthropic"}})
	res.JSON(t, &a)
	res = n.Do("POST", "/v1/agents/"+a.ID+"/chat", n.AdminKey, map[string]any{"message": "hello"})
	if e := res.Err(t); e.Code != "PROVIDER_UNAVAILABLE" {
		t.Fatalf("unconfigured provider: %d %s", res.Status, res.Body)
	}
}
