// Package system starts Switchboard's actor system: a root supervisor whose
// children are the long-lived actors (the agents manager, the keyring), each
// restarted on a panic without disturbing the others.
package system

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/actors/instance"
	"github.com/switchboard-voice/switchboard/actors/job"
	"github.com/switchboard-voice/switchboard/actors/keyring"
	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/actors/tool"
	"github.com/switchboard-voice/switchboard/actors/voice"
	"github.com/switchboard-voice/switchboard/storage"
)

// Config tunes the actors.
type Config struct {
	Agents  agent.Config
	Keyring keyring.Config
	Voices  voice.Config
	Jobs    job.Config
	// Collections tunes the collection actors; DataDir is the node's data
	// directory, where collection indexes live (unless Collections.DataDir
	// names another).
	Collections collection.Config
	DataDir     string
	Tools       tool.Config
}

// System is the running actor system and the addresses of its services.
type System struct {
	actors   *actor.ActorSystem
	root     *actor.PID
	Agents   *actor.PID
	Keyring  *actor.PID
	Sessions *actor.PID
	Voices   *actor.PID
	Jobs     *actor.PID
	// Collections is the collections manager.
	Collections *actor.PID
	// Tools owns agents' tool definitions.
	Tools *actor.PID
	// Instances owns agents' instances and the phone number index.
	Instances *actor.PID
}

// Root is the context from which requests are sent to actors.
func (s *System) Root() *actor.RootContext { return s.actors.Root }

// supervisor is the root actor. Its strategy restarts a failed child up to
// ten times a minute; each child reloads its state from storage.
type supervisor struct {
	children map[string]*actor.Props
	ready    chan<- map[string]*actor.PID
}

func (s *supervisor) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		pids := make(map[string]*actor.PID, len(s.children))
		for name, props := range s.children {
			pid, err := ctx.SpawnNamed(props, name)
			if err != nil {
				pid = ctx.Spawn(props)
			}
			pids[name] = pid
		}
		s.ready <- pids
	}
}

// Start builds the actor system over store.
func Start(cfg Config, store storage.Store, log *slog.Logger) (*System, error) {
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		// protoactor logs lifecycle chatter at info; keep warnings and up.
		return slog.New(levelFilter{Handler: log.Handler(), min: slog.LevelWarn}).With("component", "actors")
	}))
	if cfg.Collections.DataDir == "" {
		cfg.Collections.DataDir = cfg.DataDir
	}
	ready := make(chan map[string]*actor.PID, 1)
	strategy := actor.NewOneForOneStrategy(10, time.Minute, func(reason any) actor.Directive {
		log.Error("actor_failed", "reason", fmt.Sprint(reason))
		return actor.RestartDirective
	})
	props := actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{
			ready: ready,
			children: map[string]*actor.Props{
				"agents":  agent.NewManager(cfg.Agents, store, log),
				"keyring": keyring.New(cfg.Keyring, store, log),
				"voices":  voice.New(cfg.Voices, store, log),
				"jobs":    job.New(cfg.Jobs, store, log),
				// Sessions live until their call ends; a failure stops only the
				// session that failed.
				"sessions":    session.NewSupervisor(log),
				"collections": collection.NewManager(cfg.Collections, store, log),
				"tools":       tool.NewManager(cfg.Tools, store, log),
				"instances":   instance.NewManager(instance.Config{}, store, log),
			},
		}
	}, actor.WithSupervisor(strategy))
	root, err := as.Root.SpawnNamed(props, "root")
	if err != nil {
		return nil, fmt.Errorf("system: spawn root: %w", err)
	}
	select {
	case pids := <-ready:
		return &System{actors: as, root: root, Agents: pids["agents"], Keyring: pids["keyring"], Sessions: pids["sessions"],
			Voices: pids["voices"], Jobs: pids["jobs"], Collections: pids["collections"], Tools: pids["tools"],
			Instances: pids["instances"]}, nil
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("system: root supervisor did not start")
	}
}

// Stop lets every actor finish the messages it holds, then stops them.
func (s *System) Stop() {
	_ = s.actors.Root.PoisonFuture(s.root).Wait()
	s.actors.Shutdown()
}
