package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-voice/switchboard/audio/wav"
	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

const callUsage = `usage: switchboard call --url URL (--agent ID | --instance ID | --to NUMBER) [flags]

Places a simulated phone call through Switchboard's Twilio endpoints, as
Twilio would: it waits for the agent's greeting, says each --say line with
an embedded voice, waits for the agent's answer, and prints what the agent
said (transcribed on this machine) and the turn latency: the caller's last
voiced frame to the agent's first audio frame.

`

// lines collects a repeatable string flag.
type lines []string

func (l *lines) String() string     { return strings.Join(*l, " | ") }
func (l *lines) Set(v string) error { *l = append(*l, v); return nil }

// callCommand runs `switchboard call`.
func callCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, callUsage)
		fs.PrintDefaults()
	}
	var says lines
	base := fs.String("url", envOr("SWITCHBOARD_URL", "http://127.0.0.1:8080"), "Switchboard server base URL (env SWITCHBOARD_URL)")
	agent := fs.String("agent", "", "agent ID to call")
	instance := fs.String("instance", "", "instance ID to call")
	to := fs.String("to", "", "called number, E.164 (routes by the instance's phone number)")
	from := fs.String("from", "", "caller's number, E.164")
	fs.Var(&says, "say", "a line for the caller to say (repeatable, in order)")
	voice := fs.String("voice", "flite-slt", "caller's voice: flite-slt, flite-kal16, flite-rms or flite-awb")
	token := fs.String("auth-token", os.Getenv("SWITCHBOARD_TWILIO_AUTH_TOKEN"), "Twilio auth token to sign requests with (env SWITCHBOARD_TWILIO_AUTH_TOKEN)")
	silence := fs.Duration("silence", time.Second, "agent silence that ends its turn")
	turnTimeout := fs.Duration("timeout", 30*time.Second, "longest wait for an agent turn")
	transcribe := fs.Bool("transcribe", true, "transcribe the agent's speech")
	phrases := fs.String("phrases", "", "sentences the agent is likely to say, separated by '|', to improve transcription")
	record := fs.String("record", "", "write the call to this stereo WAV file (left: caller, right: agent)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "call: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *agent == "" && *instance == "" && *to == "" {
		fmt.Fprintln(stderr, "call: one of --agent, --instance or --to is required")
		fs.Usage()
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var tr *twiliotest.Transcriber
	if *transcribe {
		var err error
		if tr, err = twiliotest.NewTranscriber(ctx); err != nil {
			fmt.Fprintf(stderr, "call: speech recogniser: %v\n", err)
			return 1
		}
		defer tr.Close()
	}
	var hints []string
	for p := range strings.SplitSeq(*phrases, "|") {
		if p = strings.TrimSpace(p); p != "" {
			hints = append(hints, p)
		}
	}

	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	c, err := twiliotest.Dial(dialCtx, twiliotest.Options{
		BaseURL:    strings.TrimSuffix(*base, "/"),
		AgentID:    *agent,
		InstanceID: *instance,
		To:         *to,
		From:       *from,
		AuthToken:  *token,
	})
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "call: %v\n", err)
		return 1
	}
	defer c.Close()
	fmt.Fprintf(stderr, "call %s connected\n", c.CallSID)

	type row struct {
		said, heard string
		latency     time.Duration
		note        string
	}
	var rows []row
	listen := func(said string) (row, error) {
		r := row{said: said}
		wait := *turnTimeout
		if said == "" {
			// Not every agent greets; do not hold the call long for one.
			wait = min(wait, 10*time.Second)
		}
		tctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		u, err := c.WaitForAgent(tctx, *silence)
		if err != nil {
			return r, err
		}
		r.latency = u.Latency
		if u.Interrupted {
			r.note = "interrupted"
		}
		r.heard = fmt.Sprintf("(%.1f s of audio)", u.Duration().Seconds())
		if tr != nil {
			text, err := tr.Transcribe(ctx, u, hints...)
			if err != nil {
				return r, err
			}
			r.heard = text
		}
		return r, nil
	}

	failed := false
	turn := func(said string) bool {
		r, err := listen(said)
		if err != nil {
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				r.note = "no answer"
			case errors.Is(err, twiliotest.ErrCallEnded):
				r.note = "call ended"
			default:
				r.note = err.Error()
			}
			failed = failed || said != "" // a missing greeting is not a failure
		}
		rows = append(rows, r)
		return err == nil || errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
	}

	ok := turn("")
	for _, line := range says {
		if !ok {
			break
		}
		if err := c.Say(ctx, line, *voice); err != nil {
			rows = append(rows, row{said: line, note: err.Error()})
			failed = true
			break
		}
		ok = turn(line)
	}
	hangCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = c.Hangup(hangCtx)
	cancel()

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TURN\tCALLER SAID\tAGENT SAID\tLATENCY MS\t")
	var lat []time.Duration
	for i, r := range rows {
		said, ms := r.said, "-"
		if said == "" {
			said = "(greeting)"
		}
		if r.latency > 0 {
			ms = fmt.Sprint(r.latency.Milliseconds())
			lat = append(lat, r.latency)
		}
		heard := r.heard
		if r.note != "" {
			heard = strings.TrimSpace(heard + " [" + r.note + "]")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t\n", i, said, heard, ms)
	}
	tw.Flush()
	if len(lat) > 0 {
		slices.Sort(lat)
		fmt.Fprintf(stdout, "\nlatency over %d turns: median %d ms, max %d ms\n",
			len(lat), lat[(len(lat)-1)/2].Milliseconds(), lat[len(lat)-1].Milliseconds())
	}

	if *record != "" {
		caller, agentPCM := c.Recording()
		stereo := make([]int16, 2*len(caller))
		for i := range caller {
			stereo[2*i], stereo[2*i+1] = caller[i], agentPCM[i]
		}
		b, err := wav.EncodePCM16(stereo, 8000, 2)
		if err == nil {
			err = os.WriteFile(*record, b, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "call: recording: %v\n", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}
