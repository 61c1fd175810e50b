package job

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/resource"
	"github.com/switchboard-voice/switchboard/storage"
)

// Status is a job's state.
type Status string

// Job states, in the order a job passes through them.
const (
	Queued    Status = "queued"
	Running   Status = "running"
	Completed Status = "completed"
	Failed    Status = "failed"
)

// Job is a background request and, once done, its outcome.
type Job struct {
	ID             string `json:"id"`
	OrganizationID string `json:"-"`
	// Kind names the work ("transcription").
	Kind   string `json:"kind"`
	Status Status `json:"status"`
	// Params are the request's options, as the Runner reads them.
	Params json.RawMessage `json:"params,omitempty"`
	// Result is the Runner's answer when Completed.
	Result json.RawMessage `json:"result"`
	// Error says why the job Failed.
	Error     *resource.Problem `json:"error"`
	Attempts  int               `json:"attempts"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

// Runner does one job's work with its stored input. It must stop soon
// after ctx is cancelled. A *resource.Problem error is stored as the job's
// error; any other error is stored as INTERNAL_ERROR.
type Runner func(ctx context.Context, j *Job, input []byte) (json.RawMessage, error)

// Submit stores a new job with its input and queues it. Answer: *Job.
type Submit struct {
	OrgID  string
	Kind   string
	Params json.RawMessage
	Input  []byte
}

// Get reads one job. Answer: *Job.
type Get struct{ OrgID, ID string }

// Attach sets the Runner; queued jobs start once it is set. Answer: none.
type Attach struct{ Run Runner }

// Config tunes the job manager.
type Config struct {
	// Concurrency is how many jobs run at once (default 2).
	Concurrency int
	// MaxQueued caps jobs waiting to run; Submit beyond it is refused with
	// RATE_LIMITED (default 1000).
	MaxQueued int
	// Timeout bounds one run (default 30 minutes).
	Timeout time.Duration
	// MaxAttempts bounds how often a job is started: a job that keeps
	// being interrupted by restarts, or crashing the node, fails after
	// this many (default 3).
	MaxAttempts int
	// StoreTimeout bounds one storage operation.
	StoreTimeout time.Duration
}

// Storage key layout.
func jobKey(orgID, id string) string   { return "o/" + orgID + "/job/" + id }
func inputKey(orgID, id string) string { return "o/" + orgID + "/jobaudio/" + id }

// queueKey indexes unfinished jobs across organizations; its value is the
// organization ID.
func queueKey(id string) string { return queuePrefix + id }

const queuePrefix = "jobqueue/"

// queued is a job waiting for a slot.
type queued struct{ orgID, id string }

// finished is a run's outcome, sent by the run's goroutine to the manager.
type finished struct {
	orgID, id string
	result    json.RawMessage
	err       error
}

type manager struct {
	cfg    Config
	store  storage.Store
	log    *slog.Logger
	run    Runner
	queue  []queued
	active int
	// runCtx is cancelled when the manager stops; every run goroutine
	// derives its context from it and the manager waits for them.
	runCtx  context.Context
	stopAll context.CancelFunc
	done    chan struct{} // one value per finished goroutine
}

// New returns the props of the job manager.
func New(cfg Config, store storage.Store, log *slog.Logger) *actor.Props {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 1000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 5 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{cfg: cfg, store: store, log: log}
	})
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		m.runCtx, m.stopAll = context.WithCancel(context.Background())
		m.done = make(chan struct{}, m.cfg.Concurrency)
		m.recover()
	case *actor.Stopping:
		m.stop()
	case *actor.Restarting:
		m.stop()
	case *Attach:
		m.run = msg.Run
		m.dispatch(ctx)
	case *Submit:
		ctx.Respond(m.submit(msg))
		m.dispatch(ctx)
	case *Get:
		ctx.Respond(m.get(msg.OrgID, msg.ID))
	case *finished:
		m.active--
		<-m.done
		m.finish(msg)
		m.dispatch(ctx)
	}
}

// stop cancels the runs in flight and waits for their goroutines, so none
// outlives the manager. Their jobs stay in the queue index and run again
// on the next start.
func (m *manager) stop() {
	if m.stopAll == nil {
		return
	}
	m.stopAll()
	for ; m.active > 0; m.active-- {
		<-m.done
	}
	m.queue = nil
}

func (m *manager) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
}

// recover re-queues the jobs left unfinished by the previous run of the node.
func (m *manager) recover() {
	ctx, cancel := m.storeCtx()
	defer cancel()
	after := ""
	for {
		items, err := m.store.List(ctx, queuePrefix, after, 500)
		if err != nil {
			m.log.Error("job_recover_failed", "err", err)
			return
		}
		for _, it := range items {
			m.queue = append(m.queue, queued{orgID: string(it.Value), id: it.Key[len(queuePrefix):]})
			after = it.Key
		}
		if len(items) < 500 {
			break
		}
	}
	if len(m.queue) > 0 {
		m.log.Info("jobs_resumed", "count", len(m.queue))
	}
}

func (m *manager) submit(msg *Submit) any {
	if len(m.queue) >= m.cfg.MaxQueued {
		return &resource.Problem{Code: resource.CodeRateLimited, Message: "too many jobs are queued; retry later"}
	}
	now := time.Now().UTC()
	j := &Job{ID: resource.NewID(resource.PrefixJob), OrganizationID: msg.OrgID, Kind: msg.Kind,
		Status: Queued, Params: msg.Params, CreatedAt: now, UpdatedAt: now}
	var b storage.Batch
	if err := b.PutJSON(jobKey(msg.OrgID, j.ID), j); err != nil {
		return resource.Internal()
	}
	b.Put(inputKey(msg.OrgID, j.ID), msg.Input)
	b.Put(queueKey(j.ID), []byte(msg.OrgID))
	ctx, cancel := m.storeCtx()
	defer cancel()
	if err := m.store.Apply(ctx, &b); err != nil {
		m.log.Error("job_store_failed", "err", err)
		return resource.Internal()
	}
	m.queue = append(m.queue, queued{orgID: msg.OrgID, id: j.ID})
	return j
}

func (m *manager) get(orgID, id string) any {
	ctx, cancel := m.storeCtx()
	defer cancel()
	j, err := storage.GetJSON[Job](ctx, m.store, jobKey(orgID, id))
	if errors.Is(err, storage.ErrNotFound) {
		return resource.NotFound("job")
	}
	if err != nil {
		m.log.Error("job_load_failed", "err", err)
		return resource.Internal()
	}
	j.OrganizationID = orgID
	return &j
}

// dispatch starts queued jobs while slots are free.
func (m *manager) dispatch(ctx actor.Context) {
	for m.run != nil && m.active < m.cfg.Concurrency && len(m.queue) > 0 && m.runCtx.Err() == nil {
		q := m.queue[0]
		m.queue = m.queue[1:]
		m.start(ctx, q)
	}
}

// start marks the job running and runs it on a goroutine owned by the
// manager (stop waits for it). Storage reads happen on the goroutine, so a
// large input never stalls the mailbox.
func (m *manager) start(ctx actor.Context, q queued) {
	res := m.get(q.orgID, q.id)
	j, ok := res.(*Job)
	if !ok {
		// The record is gone; drop the stale index entry.
		sctx, cancel := m.storeCtx()
		_ = storage.Delete(sctx, m.store, queueKey(q.id))
		cancel()
		return
	}
	if j.Status == Completed || j.Status == Failed {
		m.finish(&finished{orgID: q.orgID, id: q.id, result: j.Result, err: problemOrNil(j.Error)})
		return
	}
	j.Attempts++
	if j.Attempts > m.cfg.MaxAttempts {
		m.finish(&finished{orgID: q.orgID, id: q.id, err: &resource.Problem{Code: resource.CodeInternal,
			Message: "the job was interrupted too many times"}})
		return
	}
	j.Status = Running
	j.UpdatedAt = time.Now().UTC()
	if p := m.save(j, false); p != nil {
		return
	}
	m.active++
	run, self, root := m.run, ctx.Self(), ctx.ActorSystem().Root
	nodeCtx, limit, store, storeTimeout, done := m.runCtx, m.cfg.Timeout, m.store, m.cfg.StoreTimeout, m.done
	go func() {
		defer func() { done <- struct{}{} }()
		rctx, cancel := context.WithTimeout(nodeCtx, limit)
		defer cancel()
		out := &finished{orgID: q.orgID, id: q.id}
		sctx, scancel := context.WithTimeout(rctx, storeTimeout)
		input, err := store.Get(sctx, inputKey(q.orgID, q.id))
		scancel()
		if err == nil {
			out.result, out.err = safeRun(rctx, run, j, input)
		} else {
			out.err = err
		}
		if nodeCtx.Err() != nil {
			return // the node is stopping: the job stays queued for the next start
		}
		root.Send(self, out)
	}()
}

// safeRun turns a panic in the runner into a failed job.
func safeRun(ctx context.Context, run Runner, j *Job, input []byte) (res json.RawMessage, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, errors.New("job: runner panicked")
		}
	}()
	return run(ctx, j, input)
}

func problemOrNil(p *resource.Problem) error {
	if p == nil {
		return nil
	}
	return p
}

// finish stores the job's final state and, in the same batch, removes its
// queue entry and its input.
func (m *manager) finish(f *finished) {
	res := m.get(f.orgID, f.id)
	j, ok := res.(*Job)
	if !ok {
		return
	}
	j.UpdatedAt = time.Now().UTC()
	if f.err != nil {
		j.Status = Failed
		j.Result = nil
		j.Error = resource.AsProblem(f.err)
		if j.Error == nil {
			m.log.Error("job_failed", "job_id", j.ID, "err", f.err)
			j.Error = resource.Internal()
		}
	} else {
		j.Status = Completed
		j.Result = f.result
		j.Error = nil
	}
	m.save(j, true)
}

func (m *manager) save(j *Job, final bool) *resource.Problem {
	var b storage.Batch
	if err := b.PutJSON(jobKey(j.OrganizationID, j.ID), j); err != nil {
		return resource.Internal()
	}
	if final {
		b.Delete(queueKey(j.ID))
		b.Delete(inputKey(j.OrganizationID, j.ID))
	}
	ctx, cancel := m.storeCtx()
	defer cancel()
	if err := m.store.Apply(ctx, &b); err != nil {
		m.log.Error("job_store_failed", "job_id", j.ID, "err", err)
		return resource.Internal()
	}
	return nil
}
