package badger_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/badger"
)

// Environment of the child process started by TestCrashRecovery.
const (
	crashDirEnv   = "SWITCHBOARD_BADGER_CRASH_DIR"
	crashRoundEnv = "SWITCHBOARD_BADGER_CRASH_ROUND"
)

const (
	crashRounds = 3
	crashAcks   = 300
	// crashChildMax bounds the child's loop so it ends on its own if the
	// parent dies without killing it.
	crashChildMax = 100000
)

func crashRecordKey(round, i int) string { return fmt.Sprintf("rec/%d/%06d", round, i) }
func crashIndexKey(round, i int) string  { return fmt.Sprintf("idx/%d/%06d", round, i) }

// crashValue alternates small records, kept in the LSM tree, with large ones
// that go to the value log, so recovery of both is checked. Its content is
// derived from the key so a torn value is detected.
func crashValue(key string, i int) []byte {
	n := 200
	if i%2 == 1 {
		n = 6000
	}
	return bytes.Repeat([]byte(key+";"), n/len(key)+1)[:n]
}

// TestCrashChild is the writer half of TestCrashRecovery; it does nothing
// unless started by it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashRecovery")
	}
	round, err := strconv.Atoi(os.Getenv(crashRoundEnv))
	if err != nil {
		t.Fatalf("bad %s: %v", crashRoundEnv, err)
	}
	s, err := badger.Open(dir, badger.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range crashChildMax {
		rec := crashRecordKey(round, i)
		b := new(storage.Batch).
			Put(rec, crashValue(rec, i)).
			Put(crashIndexKey(round, i), []byte(rec))
		if err := s.Apply(ctx, b); err != nil {
			t.Fatalf("Apply %d: %v", i, err)
		}
		// Only now is the batch acknowledged. os.Stdout is unbuffered, so
		// the parent sees the line as soon as it is written.
		if _, err := fmt.Fprintf(os.Stdout, "ack %s\n", rec); err != nil {
			return // the parent has gone
		}
	}
}

// TestCrashRecovery kills a writing process with SIGKILL and checks that
// every batch it acknowledged survived whole, and nothing half-written did:
// a record and its index entry are both present or both absent.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	var acked []string
	for round := range crashRounds {
		acked = append(acked, crashOnce(t, dir, round)...)
		checkAfterCrash(t, dir, acked)
	}
}

// crashOnce runs the child until it has acknowledged crashAcks batches,
// kills it and returns every key it acknowledged.
func crashOnce(t *testing.T, dir string, round int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("StdoutPipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	var acked []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		key, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue // the test framework's own output
		}
		acked = append(acked, key)
		if len(acked) == crashAcks && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			killed = true
			// Keep reading: acknowledgements already in the pipe count too.
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("round %d: child stopped after %d acknowledgements: %v\n%s", round, len(acked), err, stderr.String())
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("round %d: child wait: %v", round, err)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child ended with %v, not by SIGKILL\n%s", round, err, stderr.String())
	}
	t.Logf("round %d: %d acknowledged before SIGKILL landed", round, len(acked))
	return acked
}

func checkAfterCrash(t *testing.T, dir string, acked []string) {
	t.Helper()
	ctx := context.Background()
	s, err := badger.Open(dir, badger.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()

	records := listAll(t, s, "rec/")
	index := listAll(t, s, "idx/")
	for _, key := range acked {
		if _, ok := records[key]; !ok {
			t.Fatalf("acknowledged record %s lost", key)
		}
	}
	for key, val := range records {
		var round, i int
		if _, err := fmt.Sscanf(key, "rec/%d/%06d", &round, &i); err != nil {
			t.Fatalf("unexpected record key %q", key)
		}
		if !bytes.Equal(val, crashValue(key, i)) {
			t.Fatalf("record %s is torn: %d bytes", key, len(val))
		}
		idx := crashIndexKey(round, i)
		if string(index[idx]) != key {
			t.Fatalf("record %s present but index entry %s is %q", key, idx, index[idx])
		}
	}
	for idx, rec := range index {
		if _, ok := records[string(rec)]; !ok {
			t.Fatalf("index entry %s present but record %s is not", idx, rec)
		}
	}
	// Writes after recovery work too.
	if err := storage.Put(ctx, s, "after/crash", []byte("ok")); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
	t.Logf("%d records and index entries consistent, %d acknowledged", len(records), len(acked))
}

func listAll(t *testing.T, s storage.Store, prefix string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	after := ""
	for {
		items, err := s.List(context.Background(), prefix, after, 500)
		if err != nil {
			t.Fatalf("List %s: %v", prefix, err)
		}
		for _, it := range items {
			out[it.Key] = it.Value
		}
		if len(items) < 500 {
			return out
		}
		after = items[len(items)-1].Key
	}
}
