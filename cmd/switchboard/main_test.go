package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the switchboard binary: with SB_RUN_MAIN set
// it runs main's logic, so tests can signal and kill a real process.
func TestMain(m *testing.M) {
	if os.Getenv("SB_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// proc is a switchboard process under test.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex // guards stderr and stdout
	stderr bytes.Buffer
	stdout bytes.Buffer
	addr   chan string
	done   chan struct{}
}

var startedRE = regexp.MustCompile(`msg=server_started addr=(\S+)`)

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{addr: make(chan string, 1), done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], args...)
	// Rate limiting is tested elsewhere; here it would only slow the checks.
	p.cmd.Env = append(os.Environ(), "SB_RUN_MAIN=1", "SWITCHBOARD_RATE_LIMIT_RPS=0")
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = &lockedWriter{p: p, w: &p.stdout}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := startedRE.FindStringSubmatch(line); m != nil {
				p.addr <- m[1]
			}
		}
		close(p.done)
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}

type lockedWriter struct {
	p *proc
	w *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) url(t *testing.T) string {
	t.Helper()
	select {
	case a := <-p.addr:
		return "http://" + a
	case <-p.done:
		t.Fatalf("server exited before starting:\n%s", p.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start:\n%s", p.logs())
	}
	return ""
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// exitCode waits for the process and returns its exit code.
func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	<-p.done
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func readKey(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(filepath.Join(dir, "admin.key"))
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("admin.key mode %v, want 0600", info.Mode().Perm())
	}
	return strings.TrimSpace(string(raw))
}

func post(t *testing.T, url, key, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

func get(t *testing.T, url, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// sendPartialRequest opens a connection that is mid-request, which the
// server must wait for while it drains.
func sendPartialRequest(t *testing.T, base string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("GET /health HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	return conn
}

func waitForLog(t *testing.T, p *proc, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.logs(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("log never showed %q:\n%s", text, p.logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The first signal drains: a request already on its way is answered,
// then the process exits 0.
func TestFirstSignalDrains(t *testing.T) {
	dir := t.TempDir()
	p := start(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	base := p.url(t)
	key := readKey(t, dir)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.output(), key) {
		if time.Now().After(deadline) {
			t.Fatalf("admin key not printed on first start: %q", p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn := sendPartialRequest(t, base)
	defer conn.Close()

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	waitForLog(t, p, "server_draining")
	// Finish the request that was in flight when the signal came.
	if _, err := conn.Write([]byte("\r\n")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request dropped during drain: %v\n%s", err, p.logs())
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("in-flight request: %d", res.StatusCode)
	}
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit code %d after drain:\n%s", code, p.logs())
	}
	if !strings.Contains(p.logs(), "server_stopped") {
		t.Fatalf("no clean stop logged:\n%s", p.logs())
	}
	// The key was printed once: a second start prints none.
	p2 := start(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	p2.url(t)
	_ = p2.cmd.Process.Signal(syscall.SIGINT)
	if code := p2.exitCode(t); code != 0 || strings.Contains(p2.output(), "sb_live_") {
		t.Fatalf("second start: exit %d, stdout %q", code, p2.output())
	}
}

// A second signal stops waiting for a drain that does not finish.
func TestSecondSignalForces(t *testing.T) {
	p := start(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	base := p.url(t)
	conn := sendPartialRequest(t, base) // never completed: the drain waits
	defer conn.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	waitForLog(t, p, "server_draining")
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.exitCode(t); code != 1 || !strings.Contains(p.logs(), "forced_exit") {
		t.Fatalf("exit %d after second signal:\n%s", code, p.logs())
	}
}

// Every agent the API acknowledged survives kill -9, and the store opens
// cleanly afterwards.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	p := start(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	base := p.url(t)
	key := readKey(t, dir)

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status, body := post(t, base+"/v1/agents", key, fmt.Sprintf(`{"name":"w%d-%d"}`, w, i))
				if status != 201 {
					continue // the kill landed mid-request: not acknowledged
				}
				var a struct{ ID string }
				if json.Unmarshal(body, &a) == nil {
					mu.Lock()
					acked = append(acked, a.ID)
					mu.Unlock()
				}
			}
		}(w)
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	close(stop)
	wg.Wait()
	p.exitCode(t)

	p2 := start(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	base = p2.url(t)
	mu.Lock()
	defer mu.Unlock()
	for _, id := range acked {
		if code := get(t, base+"/v1/agents/"+id, key); code != 200 {
			t.Fatalf("acknowledged agent %s lost after kill -9: %d", id, code)
		}
	}
	t.Logf("%d acknowledged agents all present after kill -9", len(acked))
}

func TestOrgCreate(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"org", "create", "Acme", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("org create: %d %s", code, errOut.String())
	}
	m := regexp.MustCompile(`(sb_live_\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "org_") {
		t.Fatalf("org create printed no key: %s", out.String())
	}
	p := start(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	base := p.url(t)
	if code := get(t, base+"/v1/agents", m[1]); code != 200 {
		t.Fatalf("new organization's key rejected: %d", code)
	}
	// The store already had an organization: no default one was added.
	if _, err := os.Stat(filepath.Join(dir, "admin.key")); !os.IsNotExist(err) {
		t.Fatalf("a default organization was created next to Acme")
	}
	if code := run([]string{"org", "create"}, &out, &errOut); code != 2 {
		t.Fatalf("org create without a name: exit %d", code)
	}
}

func TestConfigErrorsReportedAtOnce(t *testing.T) {
	t.Setenv("SWITCHBOARD_LOG_LEVEL", "loud")
	var out, errOut bytes.Buffer
	code := run([]string{"serve", "--addr", "nope", "--data", t.TempDir()}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "addr") || !strings.Contains(errOut.String(), "logLevel") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
