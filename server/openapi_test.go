package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/server/servertest"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type indexBody struct {
	Version   string `json:"version"`
	Endpoints []struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"endpoints"`
}

// The document and the router must describe the same endpoints: every route
// the server answers is documented, and every documented one is answered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	n := servertest.Start(t, nil)
	res := n.Do("GET", "/openapi.json", "", nil)
	if res.Status != 200 {
		t.Fatalf("openapi.json: %d", res.Status)
	}
	var doc openAPIDoc
	res.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var idx indexBody
	n.Do("GET", "/v1", n.AdminKey, nil).JSON(t, &idx)
	var served []string
	for _, e := range idx.Endpoints {
		served = append(served, e.Method+" "+e.Path)
		// Probe the endpoint itself: the router must answer it with
		// something other than "no such endpoint".
		path := strings.NewReplacer("{id}", "agent_01m00000000000000000000000").Replace(e.Path)
		r := n.Do(e.Method, path, n.AdminKey, map[string]any{})
		if r.Status == 404 && strings.Contains(string(r.Body), "no such endpoint") || r.Status == 405 {
			t.Errorf("%s %s is listed but not routed (%d)", e.Method, e.Path, r.Status)
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("documented endpoints differ from served ones:\n doc: %v\n api: %v", documented, served)
	}
	// Every endpoint of the reference that exists here keeps its path.
	for _, want := range []string{"GET /health", "GET /ready", "GET /openapi.json", "GET /v1", "POST /v1/agents", "GET /v1/agents",
		"GET /v1/agents/{id}", "PUT /v1/agents/{id}", "DELETE /v1/agents/{id}", "POST /v1/agents/provision",
		"POST /v1/keys", "GET /v1/keys", "DELETE /v1/keys/{id}", "POST /v1/keys/{id}/rotate"} {
		if !slices.Contains(served, want) {
			t.Errorf("missing endpoint %s", want)
		}
	}
}

// The document passes a standard validator (Redocly's recommended rules,
// warnings included).
func TestOpenAPIValidates(t *testing.T) {
	bin, err := filepath.Abs("../tools/node/node_modules/.bin/redocly")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_TOOLS") != "" {
			t.Fatalf("redocly is not installed (run make node-deps): %v", err)
		}
		t.Skip("redocly is not installed; run make node-deps")
	}
	n := servertest.Start(t, nil)
	res := n.Do("GET", "/openapi.json", "", nil)
	path := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(path, res.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	config, _ := filepath.Abs("../tools/node/redocly.yaml")
	cmd := exec.Command(bin, "lint", "--config", config, "--max-problems=50", path)
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redocly lint failed: %v\n%s", err, out)
	}
	if regexp.MustCompile(`You have \d+ warning`).Match(out) {
		t.Fatalf("redocly lint warns:\n%s", out)
	}
	t.Logf("redocly: %s", lastLine(string(out)))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestHealthReadyIndex(t *testing.T) {
	n := servertest.Start(t, nil)
	for _, path := range []string{"/health", "/ready"} {
		if res := n.Do("GET", path, "", nil); res.Status != 200 {
			t.Errorf("%s = %d %s", path, res.Status, res.Body)
		}
	}
	if res := n.Do("GET", "/v1", "", nil); res.Status != 401 {
		t.Errorf("/v1 without a key = %d", res.Status)
	}
	var idx indexBody
	n.Do("GET", "/v1", n.AdminKey, nil).JSON(t, &idx)
	if idx.Version == "" || len(idx.Endpoints) < 10 {
		t.Fatalf("index: %+v", idx)
	}
}
