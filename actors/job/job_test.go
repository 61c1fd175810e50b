package job

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors"
	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage/memory"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJobsRunBoundedAndResumeAfterStop(t *testing.T) {
	store := memory.New()
	as := actor.NewActorSystem()
	pid := as.Root.Spawn(New(Config{Concurrency: 1}, store, quiet))

	// The first runner blocks until the node stops, like a node killed
	// mid-job; every job is submitted before it is attached.
	started := make(chan string, 10)
	blocking := func(ctx context.Context, j *Job, in []byte) (json.RawMessage, error) {
		started <- j.ID
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var ids []string
	for i := range 3 {
		j, err := actors.Ask[*Job](as.Root, pid, &Submit{OrgID: "org_1", Kind: "echo", Input: []byte{byte('a' + i)}}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != Queued || !resource.ValidID(resource.PrefixJob, j.ID) {
			t.Fatalf("submitted job: %+v", j)
		}
		ids = append(ids, j.ID)
	}
	as.Root.Send(pid, &Attach{Run: blocking})
	if got := <-started; got != ids[0] {
		t.Fatalf("first job to start = %s, want %s", got, ids[0])
	}
	get := func(pid *actor.PID, root *actor.RootContext, id string) *Job {
		j, err := actors.Ask[*Job](root, pid, &Get{OrgID: "org_1", ID: id}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	if j := get(pid, as.Root, ids[0]); j.Status != Running {
		t.Fatalf("job 0 is %s, want running", j.Status)
	}
	if j := get(pid, as.Root, ids[1]); j.Status != Queued {
		t.Fatalf("job 1 is %s with concurrency 1, want queued", j.Status)
	}
	if err := as.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	as.Shutdown()

	// A new node over the same store finishes all three.
	as2 := actor.NewActorSystem()
	defer as2.Shutdown()
	pid2 := as2.Root.Spawn(New(Config{Concurrency: 2}, store, quiet))
	as2.Root.Send(pid2, &Attach{Run: func(ctx context.Context, j *Job, in []byte) (json.RawMessage, error) {
		if string(in) == "c" {
			return nil, resource.Invalid(resource.FieldError{Field: "file", Message: "not audio"})
		}
		return json.Marshal(map[string]string{"echo": string(in)})
	}})
	for i, id := range ids {
		waitFor(t, "job "+id, func() bool {
			s := get(pid2, as2.Root, id).Status
			return s == Completed || s == Failed
		})
		j := get(pid2, as2.Root, id)
		switch i {
		case 0, 1:
			if j.Status != Completed || string(j.Result) != `{"echo":"`+string(rune('a'+i))+`"}` {
				t.Fatalf("job %d: %+v %s", i, j, j.Result)
			}
		case 2:
			if j.Status != Failed || j.Error == nil || j.Error.Code != resource.CodeValidation {
				t.Fatalf("job 2: %+v", j)
			}
		}
		if i == 0 && j.Attempts != 2 {
			t.Fatalf("job 0 attempts = %d, want 2 (interrupted once)", j.Attempts)
		}
	}
	// Finished jobs leave neither input nor queue entry behind.
	items, err := store.List(context.Background(), "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if strings.HasPrefix(it.Key, queuePrefix) || strings.Contains(it.Key, "/jobaudio/") {
			t.Fatalf("left behind: %s", it.Key)
		}
	}
	if _, err := actors.Ask[*Job](as2.Root, pid2, &Get{OrgID: "org_2", ID: ids[0]}, 5*time.Second); resource.AsProblem(err) == nil || resource.AsProblem(err).Code != resource.CodeNotFound {
		t.Fatalf("another org reads the job: %v", err)
	}
}
