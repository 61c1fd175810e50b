package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadFile(t *testing.T) {
	c := Default()
	err := c.LoadFile(writeFile(t, `
addr: 127.0.0.1:9000
logLevel: debug
http:
  requestTimeout: 3s
rateLimit: {requestsPerSecond: 5, burst: 10}
agents: {idleTimeout: 90s}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.LogLevel != "debug" || c.HTTP.RequestTimeout.D() != 3*time.Second ||
		c.RateLimit.Burst != 10 || c.Agents.IdleTimeout.D() != 90*time.Second {
		t.Fatalf("loaded: %+v", c)
	}
	// Keys not in the file keep their defaults.
	if c.DataDir != "./data" || c.HTTP.MaxBodyBytes != 32<<20 {
		t.Fatalf("defaults lost: %+v", c)
	}
}

// Every unknown key and wrong value of a file is reported in one go.
func TestLoadFileReportsEveryProblem(t *testing.T) {
	c := Default()
	err := c.LoadFile(writeFile(t, `
adr: ":1"
http:
  requestTimeout: soon
  maxBody: 5
rateLimit: {burst: "many"}
`))
	if err == nil {
		t.Fatal("bad file accepted")
	}
	for _, want := range []string{"adr: unknown field", "http.requestTimeout", "http.maxBody: unknown field", "rateLimit.burst"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Addr = "nope"
	c.LogLevel = "loud"
	c.LogFormat = "xml"
	c.HTTP.RequestTimeout = 0
	c.RateLimit = RateLimit{RequestsPerSecond: 5, Burst: 0}
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"addr", "logLevel", "logFormat", "http.requestTimeout", "rateLimit.burst"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"SWITCHBOARD_ADDR": "0.0.0.0:7000", "SWITCHBOARD_DATA": "/srv/sb", "SWITCHBOARD_RATE_LIMIT_RPS": "2.5",
	}
	c := Default()
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:7000" || c.DataDir != "/srv/sb" || c.RateLimit.RequestsPerSecond != 2.5 {
		t.Fatalf("env not applied: %+v", c)
	}
	env = map[string]string{"SWITCHBOARD_RATE_LIMIT_RPS": "fast", "SWITCHBOARD_RATE_LIMIT_BURST": "x"}
	err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "RPS") || !strings.Contains(err.Error(), "BURST") {
		t.Fatalf("bad env values: %v", err)
	}
}

// The repository's cluster.yaml must always load: it is documentation
// that cannot rot.
func TestClusterFileLoads(t *testing.T) {
	c, err := LoadCluster("../cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Provider != "automanaged" || len(c.Seeds) != 1 || c.Port == 0 {
		t.Fatalf("cluster.yaml is not a single-member configuration: %+v", c)
	}
}

func TestClusterValidation(t *testing.T) {
	_, err := LoadCluster(writeFile(t, "cluster:\n  provider: zookeeper\n  port: 0\n  seeds: [nohost]\n  extra: 1\n"))
	if err == nil || !strings.Contains(err.Error(), "extra") {
		t.Fatalf("unknown key not reported: %v", err)
	}
	_, err = LoadCluster(writeFile(t, "cluster:\n  provider: zookeeper\n  port: 0\n  seeds: [nohost]\n"))
	for _, want := range []string{"provider", "port", "nohost"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
