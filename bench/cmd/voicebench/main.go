// Command voicebench measures Switchboard end to end over the Twilio
// Media Streams path, against the real binary on loopback: turn latency and
// barge-in with the embedded engines, and concurrent calls with the
// simulated providers. It prints Markdown tables and writes JSON, Markdown
// and an SVG plot to the output directory. See bench/README.md.
//
//	go run ./bench/cmd/voicebench [-parts turns,bargein,load] [-out bench/results]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-voice/switchboard/bench/voicebench"
)

func main() {
	os.Exit(run())
}

func run() int {
	parts := flag.String("parts", "turns,bargein,load", "comma-separated parts to run: turns, bargein, load")
	out := flag.String("out", "bench/results", "directory for voicebench.{json,md,svg}")
	bin := flag.String("bin", "bin/switchboard", "switchboard binary, built from ./cmd/switchboard unless -build=false")
	build := flag.Bool("build", true, "build -bin first with go build -o")
	convs := flag.Int("conversations", 10, "turn latency: conversations of 3 questions")
	parallel := flag.Int("parallel", 2, "turn latency: conversations at once")
	interrupts := flag.Int("interrupts", 20, "barge-in: interruption trials")
	falses := flag.Int("falses", 20, "barge-in: backchannel and noise trials (a quarter noise)")
	bargeCalls := flag.Int("bargein-calls", 2, "barge-in: calls at once")
	levels := flag.String("levels", "100,500,1000,2000", "load: concurrent calls per level")
	hold := flag.Duration("hold", 30*time.Second, "load: length of each call")
	budget := flag.Duration("load-budget", 6*time.Minute, "load: bound on all levels")
	verbose := flag.Bool("v", false, "log progress to stderr")
	cpuProfile := flag.String("cpuprofile", "", "write the harness's own CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "voicebench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, args ...any) {
		if *verbose {
			fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
		}
	}
	if *build {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", *bin, "./cmd/switchboard")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "voicebench: building switchboard:", err)
			return 1
		}
	}
	binPath, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	rep := &voicebench.Report{Date: time.Now(), Machine: machine()}
	failed := false
	for _, part := range strings.Split(*parts, ",") {
		var err error
		switch strings.TrimSpace(part) {
		case "turns":
			rep.Turns, err = voicebench.RunTurns(ctx, voicebench.TurnOptions{Bin: binPath, Conversations: *convs, Parallel: *parallel, Log: logf})
		case "bargein":
			rep.Barge, err = voicebench.RunBargeIn(ctx, voicebench.BargeOptions{Bin: binPath, Interrupts: *interrupts, Falses: *falses, Calls: *bargeCalls, Log: logf})
		case "load":
			var lv []int
			for _, s := range strings.Split(*levels, ",") {
				n, perr := strconv.Atoi(strings.TrimSpace(s))
				if perr != nil || n <= 0 {
					fmt.Fprintf(os.Stderr, "voicebench: bad level %q\n", s)
					return 2
				}
				lv = append(lv, n)
			}
			rep.Load, err = voicebench.RunLoad(ctx, voicebench.LoadOptions{Bin: binPath, Levels: lv, Hold: *hold, Budget: *budget, Log: logf})
		case "":
		default:
			fmt.Fprintf(os.Stderr, "voicebench: unknown part %q\n", part)
			return 2
		}
		if err != nil {
			failed = true
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %v", part, err))
			fmt.Fprintf(os.Stderr, "voicebench: %s: %v\n", part, err)
		}
	}

	var md bytes.Buffer
	rep.Markdown(&md)
	os.Stdout.Write(md.Bytes())
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	js, _ := json.MarshalIndent(rep, "", "  ")
	var svg bytes.Buffer
	var series []voicebench.Series
	if t := rep.Turns; t != nil {
		series = append(series, voicebench.Series{Name: "turn, caller-measured", Ms: t.Caller.Ms},
			voicebench.Series{Name: "turn, server trace", Ms: t.Server.Ms})
	}
	if b := rep.Barge; b != nil {
		series = append(series, voicebench.Series{Name: "barge-in reaction", Ms: b.Reaction.Ms})
	}
	voicebench.SVG(&svg, "Latency distributions (empirical CDF)", series)
	for name, b := range map[string][]byte{"voicebench.json": js, "voicebench.md": md.Bytes(), "voicebench.svg": svg.Bytes()} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

// machine describes where the figures come from.
func machine() string {
	cpu := ""
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s, %s/%s", runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
