// Command switchboard runs the Switchboard voice-agent server and its
// operator subcommands.
//
//	switchboard serve [--addr HOST:PORT] [--data DIR] [--config FILE] [--log-level LEVEL]
//	switchboard org create NAME [--data DIR]
//	switchboard call --url URL --agent ID [--say TEXT ...]
//	switchboard version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-voice/switchboard/actors/keyring"
	"github.com/switchboard-voice/switchboard/config"
	"github.com/switchboard-voice/switchboard/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  switchboard serve [--addr HOST:PORT] [--data DIR] [--config FILE] [--log-level LEVEL]
  switchboard org create NAME [--data DIR]
  switchboard call --url URL (--agent ID | --instance ID | --to NUMBER) [--say TEXT ...] [--voice flite-slt] [--auth-token T] [--record FILE.wav]
  switchboard version
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "org":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return orgCreate(args[2:], stdout, stderr)
	case "call":
		return callCommand(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, server.Version)
		return 0
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
}

// loadConfig layers defaults, the YAML file, the environment and the flags
// that were set, then validates; every problem is reported at once.
func loadConfig(fs *flag.FlagSet, args []string, stderr io.Writer) (config.Config, bool) {
	cfg := config.Default()
	addr := fs.String("addr", "", "listen address HOST:PORT (default :8080, env SWITCHBOARD_ADDR)")
	data := fs.String("data", "", "data directory (default ./data, env SWITCHBOARD_DATA)")
	file := fs.String("config", os.Getenv("SWITCHBOARD_CONFIG"), "YAML configuration file (env SWITCHBOARD_CONFIG)")
	level := fs.String("log-level", "", "debug, info, warn or error (env SWITCHBOARD_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return cfg, false
	}
	var errs []error
	if *file != "" {
		errs = append(errs, cfg.LoadFile(*file))
	}
	errs = append(errs, cfg.ApplyEnv(os.LookupEnv))
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			cfg.Addr = *addr
		case "data":
			cfg.DataDir = *data
		case "log-level":
			cfg.LogLevel = *level
		}
	})
	errs = append(errs, cfg.Validate())
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(stderr, err)
		return cfg, false
	}
	return cfg, true
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(flag.NewFlagSet("serve", flag.ContinueOnError), args, stderr)
	if !ok {
		return 2
	}
	log := newLogger(cfg, stderr)
	raiseFileLimit(log)
	// Signals are caught before anything starts, so none is lost.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)

	srv, err := server.Start(cfg, log)
	if err != nil {
		log.Error("server_start_failed", "err", err)
		return 1
	}
	if addr := os.Getenv("SWITCHBOARD_PPROF_ADDR"); addr != "" {
		stop := servePprof(addr, log)
		defer stop()
	}
	if srv.AdminKey != "" {
		// Printed once, to the terminal, never to the log.
		fmt.Fprintf(stdout, "\nAdmin API key (shown once, also saved to %s/admin.key):\n\n    %s\n\n", cfg.DataDir, srv.AdminKey)
	}

	select {
	case sig := <-signals:
		log.Info("signal_received", "signal", sig.String())
	case err := <-srv.Done():
		log.Error("server_failed", "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.D())
	defer cancel()
	// A second signal stops waiting for the drain.
	go func() {
		select {
		case sig := <-signals:
			log.Warn("forced_exit", "signal", sig.String())
			os.Exit(1)
		case <-ctx.Done():
		}
	}()
	if err := srv.Shutdown(ctx); err != nil {
		log.Error("shutdown_incomplete", "err", err)
		return 1
	}
	return 0
}

func orgCreate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("org create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("SWITCHBOARD_DATA", "./data"), "data directory")
	// The name comes first: flag parsing stops at the first non-flag.
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := server.OpenStore(*data, log)
	if err != nil {
		fmt.Fprintf(stderr, "cannot open %s (is a server running on it?): %v\n", *data, err)
		return 1
	}
	defer store.Close()
	org, secret, err := keyring.CreateOrganization(context.Background(), store, name)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "organization %s (%s)\nadmin API key (shown once): %s\n", org.Name, org.ID, secret)
	return 0
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// call holds a socket, and the default soft limit of 1024 caps a node far
// below what it can serve.
func raiseFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("file_limit_unchanged", "err", err)
	}
}

// servePprof serves Go's profiler on addr (meant for loopback, for an
// operator chasing CPU or memory); the returned func stops it.
func servePprof(addr string, log *slog.Logger) func() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Warn("pprof_failed", "err", err)
		}
	}()
	return func() {
		_ = hs.Close()
		<-done
	}
}
