package voicebench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a switchboard binary running as a child process on loopback,
// with its own temporary data directory.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	AdminKey string
	cmd      *exec.Cmd
	dir      string
	exited   chan struct{}
	http     *http.Client
}

// ServerOptions describe the server to start.
type ServerOptions struct {
	// Bin is the switchboard binary.
	Bin string
	// Config is YAML appended to the harness's own settings (address, data
	// directory, rate limiting off, no recordings).
	Config string
	// Log receives the server's output; nil discards it.
	Log io.Writer
}

// StartServer starts the binary and waits until it is ready and has
// written its admin key.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	dir, err := os.MkdirTemp("", "voicebench-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	cfg := fmt.Sprintf("addr: 127.0.0.1:%d\ndata: %s\nlogLevel: warn\nrateLimit:\n  requestsPerSecond: 0\n", port, data)
	if !strings.Contains(o.Config, "voice:") {
		cfg += "voice:\n  record: false\n"
	}
	cfg += o.Config
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(o.Bin, "serve", "--config", cfgPath)
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("voicebench: starting %s: %w", o.Bin, err)
	}
	s := &Server{
		URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, dir: dir, exited: make(chan struct{}),
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
	}
	go func() { _ = cmd.Wait(); close(s.exited) }() // owned by s: ends with the process
	deadline := time.Now().Add(60 * time.Second)
	for {
		if key, err := os.ReadFile(filepath.Join(data, "admin.key")); err == nil && len(bytes.TrimSpace(key)) > 0 {
			s.AdminKey = string(bytes.TrimSpace(key))
			if code, _ := s.Do(ctx, "GET", "/ready", nil, nil); code == 200 {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("voicebench: server exited while starting: %v", cmd.ProcessState)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("voicebench: server not ready after 60 s")
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PID is the server's process ID.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop asks the server to drain (SIGTERM), kills it after 20 s, and removes
// its data directory.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// Do sends a request with the admin key; a JSON body is marshalled, and a
// 2xx answer is decoded into out when out is not nil.
func (s *Server) Do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.AdminKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("voicebench: %s %s: HTTP %d: %.300s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if b, ok := out.(*[]byte); ok {
			*b = raw
			return resp.StatusCode, nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("voicebench: %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// Metrics returns the unlabelled samples (and label sums) of the server's
// Prometheus text exposition, by metric name.
func (s *Server) Metrics(ctx context.Context) (map[string]float64, error) {
	var raw []byte
	if _, err := s.Do(ctx, "GET", "/metrics", nil, &raw); err != nil {
		return nil, err
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err == nil {
			m[name] += v
		}
	}
	return m, sc.Err()
}

// ProcSample is a process's CPU time and resident memory at one moment.
type ProcSample struct {
	At       time.Time
	CPU      time.Duration // utime + stime
	RSSBytes int64
}

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 100

// ReadProc samples /proc/<pid>/stat.
func ReadProc(pid int) (ProcSample, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcSample{}, err
	}
	at := time.Now()
	// The command name may hold spaces; fields are counted after its ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return ProcSample{}, errors.New("voicebench: malformed /proc stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	// f[0] is field 3 (state): utime is 14, stime 15, rss 24.
	if len(f) < 22 {
		return ProcSample{}, errors.New("voicebench: short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	rss, _ := strconv.ParseInt(f[21], 10, 64)
	return ProcSample{
		At:       at,
		CPU:      time.Duration(ut+st) * time.Second / clockTick,
		RSSBytes: rss * int64(os.Getpagesize()),
	}, nil
}

// SelfCPU is the harness process's own CPU time (user + system).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RaiseFileLimit lifts RLIMIT_NOFILE to its hard limit, for thousands of
// sockets; the server inherits it.
func RaiseFileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	return r.Cur, nil
}
