package voicebench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Report is everything one run measured; absent parts are nil.
type Report struct {
	Date    time.Time    `json:"date"`
	Machine string       `json:"machine"`
	Turns   *TurnResult  `json:"turns,omitempty"`
	Barge   *BargeResult `json:"bargeIn,omitempty"`
	Load    []LoadLevel  `json:"load,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// Markdown writes the three tables.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "# Voice benchmarks\n\n%s, %s\n\n", r.Date.Format("2006-01-02 15:04 MST"), r.Machine)
	if t := r.Turns; t != nil {
		fmt.Fprintf(w, "## 1. Turn latency, embedded engines, Twilio path\n\n")
		fmt.Fprintf(w, "%d conversations × %d questions; %d turns measured, %d failed.\n\n", t.Conversations, len(Questions), t.Turns, t.Failed)
		fmt.Fprintf(w, "| ms | n | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
		row := func(name string, d Dist) {
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", name, d.N, d.P50, d.P95, d.P99, d.Max)
		}
		row("**total, caller-measured** (last voiced frame sent → first audible agent frame received)", t.Caller)
		row("total, server trace (`latencyMs`)", t.Server)
		row("endpointing wait", t.Endpointing)
		row("STT (final transcript after end of speech)", t.STT)
		row("LLM (first token after reply start)", t.LLM)
		row("TTS (first audio after first token)", t.TTS)
		row("engine overhead", t.Overhead)
		fmt.Fprintf(w, "\nTargets: total p50 ≤ 200 ms (%s), p95 ≤ 300 ms (%s); engine overhead p99 ≤ 5 ms (%s).\n",
			verdict(float64(t.Caller.P50) <= 200), verdict(float64(t.Caller.P95) <= 300), verdict(float64(t.Overhead.P99) <= 5))
		if len(t.MissingSpans) > 0 {
			fmt.Fprintf(w, "\nThe server's trace lacks %s; the split falls back as bench/README.md describes.\n", strings.Join(t.MissingSpans, ", "))
		}
		notes(w, t.Notes)
	}
	if b := r.Barge; b != nil {
		fmt.Fprintf(w, "\n## 2. Barge-in, embedded engines\n\n")
		fmt.Fprintf(w, "| measure | value |\n|---|---:|\n")
		fmt.Fprintf(w, "| interruption trials (caller talks 0.6–1.5 s into the answer) | %d |\n", b.InterruptTrials)
		fmt.Fprintf(w, "| reaction p50, caller speech onset → `clear` received | %s ms |\n", b.Reaction.P50)
		fmt.Fprintf(w, "| reaction p95 | %s ms |\n", b.Reaction.P95)
		fmt.Fprintf(w, "| reaction max | %s ms |\n", b.Reaction.Max)
		fmt.Fprintf(w, "| interruptions never cleared (3 s) | %d |\n", b.Missed)
		fmt.Fprintf(w, "| server-traced reaction p50 / p95 | %s / %s ms |\n", b.ServerReaction.P50, b.ServerReaction.P95)
		fmt.Fprintf(w, "| backchannel trials (uh-huh, yeah, okay, right, mm-hmm) | %d, %d cleared |\n", b.BackchannelRuns, b.FalseBackchan)
		fmt.Fprintf(w, "| noise-burst trials (150 ms) | %d, %d cleared |\n", b.NoiseRuns, b.FalseNoise)
		fmt.Fprintf(w, "| **false-interruption rate** | **%.1f %%** |\n", 100*b.FalseRate())
		if b.Skipped > 0 {
			fmt.Fprintf(w, "| trials skipped (answer never started) | %d |\n", b.Skipped)
		}
		if len(b.ByLine) > 0 {
			fmt.Fprintf(w, "\nBy line: when its first word ends (the word that tells it from a backchannel) and the reaction.\n\n")
			fmt.Fprintf(w, "| line | first word ends | n | reaction p50 | max | never cleared |\n|---|---:|---:|---:|---:|---:|\n")
			for _, l := range b.ByLine {
				fmt.Fprintf(w, "| %s | %s ms | %d | %s ms | %s ms | %d |\n", l.Line, l.FirstWordEnd, l.Reaction.N, l.Reaction.P50, l.Reaction.Max, l.Missed)
			}
		}
		fmt.Fprintf(w, "\nTargets: reaction p95 ≤ 300 ms (%s); false interruptions ≤ 5 %% (%s).\n",
			verdict(float64(b.Reaction.P95) <= 300 && b.Missed == 0), verdict(b.FalseRate() <= .05))
		notes(w, b.Notes)
	}
	if len(r.Load) > 0 {
		fmt.Fprintf(w, "\n## 3. Load, sim providers, Twilio path\n\n")
		fmt.Fprintf(w, "| calls | connected | failed / dropped | agents talking (mean) | server CPU (%% core) | per call | generator CPU (%% core) | RSS/call | late frames | turn p99 | turns unanswered |\n")
		fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, l := range r.Load {
			fmt.Fprintf(w, "| %d | %d | %d / %d | %s | %s | %s %% | %s | %s KiB | %s of %s (%s %%) | %s ms | %d |\n",
				l.Calls, l.Connected, l.DialFailed, l.Dropped, l.Talking.Fmt(0), l.ServerCPUTotal.Fmt(0), l.ServerCPUPct.Fmt(3), l.GenCPUTotal.Fmt(0),
				l.RSSPerCallKiB.Fmt(0), l.LateFrames.Fmt(0), l.FramesSent.Fmt(0), l.LatePct.Fmt(2), l.Latency.P99, l.Unanswered)
		}
		best := 0
		for _, l := range r.Load {
			if l.LateFrames == 0 && l.DialFailed == 0 && l.Dropped == 0 && l.Calls > best {
				best = l.Calls
			}
		}
		fmt.Fprintf(w, "\nTarget: ≥ 1,000 concurrent calls with no late frames on 2 cores, generator included (%s: largest clean level %d).\n",
			verdict(best >= 1000), best)
	}
	notes(w, r.Notes)
}

func notes(w io.Writer, ns []string) {
	for _, n := range ns {
		fmt.Fprintf(w, "\n- %s", n)
	}
	if len(ns) > 0 {
		fmt.Fprintln(w)
	}
}

// Series is one curve of the latency plot.
type Series struct {
	Name string
	Ms   []float64 // sorted
}

// SVG draws the empirical CDFs of the series on one chart, x in ms.
func SVG(w io.Writer, title string, series []Series) {
	const W, H, L, R, T, B = 760, 420, 60, 200, 40, 50
	maxX := 100.0
	for _, s := range series {
		if n := len(s.Ms); n > 0 {
			maxX = math.Max(maxX, s.Ms[n-1])
		}
	}
	step := niceStep(maxX / 8)
	maxX = math.Ceil(maxX/step) * step
	px := func(x float64) float64 { return L + x/maxX*(W-L-R) }
	py := func(y float64) float64 { return H - B - y*(H-T-B) }
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="22" font-size="15">%s</text>`+"\n", L, title)
	for x := 0.0; x <= maxX+1e-9; x += step {
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%.0f</text>`+"\n",
			px(x), T, px(x), H-B, px(x), H-B+16, x)
	}
	for _, y := range []float64{0, .25, .5, .75, .95, 1} {
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.2f</text>`+"\n",
			L, py(y), W-R, py(y), L-6, py(y)+4, y)
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle">ms</text><text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">fraction ≤ x</text>`+"\n",
		(W-R+L)/2, H-12, (H-B+T)/2, (H-B+T)/2)
	for i, s := range series {
		if len(s.Ms) == 0 {
			continue
		}
		c := colors[i%len(colors)]
		var pts strings.Builder
		fmt.Fprintf(&pts, "%.1f,%.1f ", px(math.Max(0, s.Ms[0])), py(0))
		for j, v := range s.Ms {
			fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f ", px(math.Max(0, v)), py(float64(j)/float64(len(s.Ms))), px(math.Max(0, v)), py(float64(j+1)/float64(len(s.Ms))))
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, pts.String())
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="14" height="3" fill="%s"/><text x="%d" y="%d">%s (n=%d)</text>`+"\n",
			W-R+12, T+8+i*20, c, W-R+32, T+12+i*20, s.Name, len(s.Ms))
	}
	fmt.Fprintln(w, "</svg>")
}

func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}
