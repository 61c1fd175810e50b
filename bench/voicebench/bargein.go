package voicebench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

// LongQuestion draws the FAQ's long answer, which the barge-in callers talk
// over.
const LongQuestion = "What services do you offer?"

// Interruptions are what real barge-in callers say; Backchannels what
// listening callers say.
var (
	Interruptions = []string{"Wait, what time do you open?", "Sorry, is there parking?", "Hold on, do you take insurance?"}
	Backchannels  = []string{"uh-huh", "yeah", "okay", "right", "mm-hmm"}
)

// BargeResult is part 2's outcome.
type BargeResult struct {
	InterruptTrials int  `json:"interruptTrials"`
	Reaction        Dist `json:"reactionMs"`
	Missed          int  `json:"missedInterruptions"` // no clear within 3 s
	ServerReaction  Dist `json:"serverReactionMs"`
	BackchannelRuns int  `json:"backchannelTrials"`
	NoiseRuns       int  `json:"noiseTrials"`
	FalseBackchan   int  `json:"falseOnBackchannel"`
	FalseNoise      int  `json:"falseOnNoise"`
	Skipped         int  `json:"skippedTrials"` // the agent's answer never started
	// ByLine splits the reaction by interruption line, with when its first
	// word ends: the word that tells it from a backchannel.
	ByLine []LineReaction `json:"byLine"`
	Notes  []string       `json:"notes,omitempty"`
}

// LineReaction is the reaction to one interruption line.
type LineReaction struct {
	Line         string `json:"line"`
	FirstWordEnd Num    `json:"firstWordEndMs"` // from the start of its speech
	Reaction     Dist   `json:"reactionMs"`
	Missed       int    `json:"missed"`
}

// FalseRate is false interruptions over all non-interrupting trials.
func (r *BargeResult) FalseRate() float64 {
	n := r.BackchannelRuns + r.NoiseRuns
	if n == 0 {
		return 0
	}
	return float64(r.FalseBackchan+r.FalseNoise) / float64(n)
}

// BargeOptions configure part 2.
type BargeOptions struct {
	Bin        string
	Interrupts int // default 20
	Falses     int // backchannel and noise trials, default 20 (a quarter noise)
	Calls      int // calls at once, default 2
	Log        func(format string, args ...any)
}

type trialKind int

const (
	interrupt trialKind = iota
	backchannel
	noise
)

type trial struct {
	kind  trialKind
	clip  *twiliotest.Clip
	line  int           // which of Interruptions, for kind interrupt
	delay time.Duration // after the answer starts
}

// RunBargeIn measures barge-in reaction and false interruptions with the
// embedded engines.
func RunBargeIn(ctx context.Context, o BargeOptions) (*BargeResult, error) {
	o.Interrupts, o.Falses, o.Calls = cmp(o.Interrupts, 20), cmp(o.Falses, 20), cmp(o.Calls, 2)
	srv, err := StartServer(ctx, ServerOptions{Bin: o.Bin})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	phrases := lower(append(append([]string{LongQuestion}, Interruptions...), Questions...))
	agentID, err := provisionClinic(ctx, srv, phrases)
	if err != nil {
		return nil, err
	}
	synth := func(text string) (*twiliotest.Clip, error) {
		pcm, err := twiliotest.Synthesize(ctx, nil, text, CallerVoice)
		if err != nil {
			return nil, err
		}
		return twiliotest.NewClip(pcm, 0), nil
	}
	question, err := synth(LongQuestion)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(7, 11)) // the same trials every run
	var trials []trial
	for i := range o.Interrupts {
		cl, err := synth(Interruptions[i%len(Interruptions)])
		if err != nil {
			return nil, err
		}
		trials = append(trials, trial{kind: interrupt, clip: cl, line: i % len(Interruptions)})
	}
	nNoise := o.Falses / 4
	for i := range o.Falses - nNoise {
		var cl *twiliotest.Clip
		if b := Backchannels[i%len(Backchannels)]; b == "mm-hmm" {
			cl = twiliotest.NewClip(mmHmm(), 0)
		} else if cl, err = synth(b); err != nil {
			return nil, err
		}
		trials = append(trials, trial{kind: backchannel, clip: cl})
	}
	for range nNoise {
		trials = append(trials, trial{kind: noise, clip: twiliotest.NewClip(noiseBurst(rng, 150*time.Millisecond), 0)})
	}
	rng.Shuffle(len(trials), func(i, j int) { trials[i], trials[j] = trials[j], trials[i] })
	for i := range trials {
		trials[i].delay = 600*time.Millisecond + time.Duration(rng.Int64N(int64(900*time.Millisecond)))
	}

	res := &BargeResult{ByLine: make([]LineReaction, len(Interruptions))}
	byLine := make([][]float64, len(Interruptions))
	for i, l := range Interruptions {
		res.ByLine[i].Line = l
		end, err := firstWordEnd(ctx, l)
		if err != nil {
			return nil, err
		}
		res.ByLine[i].FirstWordEnd = Num(ms(end))
	}
	var mu sync.Mutex // guards res, reaction and byLine
	var reaction []float64
	record := func(t trial, r trialOutcome) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.skipped:
			res.Skipped++
		case t.kind == interrupt:
			res.InterruptTrials++
			if r.cleared {
				reaction = append(reaction, r.reaction)
				byLine[t.line] = append(byLine[t.line], r.reaction)
			} else {
				res.Missed++
				res.ByLine[t.line].Missed++
			}
		case t.kind == backchannel:
			res.BackchannelRuns++
			if r.cleared {
				res.FalseBackchan++
			}
		default:
			res.NoiseRuns++
			if r.cleared {
				res.FalseNoise++
			}
		}
	}
	// Trials are dealt round-robin to the calls; each call runs its share
	// one after another on a quiet line.
	var wg sync.WaitGroup
	for c := range o.Calls {
		var mine []trial
		for i := c; i < len(trials); i += o.Calls {
			mine = append(mine, trials[i])
		}
		wg.Add(1)
		go func() { // owned here: wg waits for it
			defer wg.Done()
			if err := bargeCall(ctx, srv, agentID, question, mine, record, o.Log); err != nil {
				mu.Lock()
				res.Notes = append(res.Notes, fmt.Sprintf("call %d: %v", c+1, err))
				mu.Unlock()
			}
		}()
		time.Sleep(900 * time.Millisecond)
	}
	wg.Wait()
	res.Reaction = NewDist(reaction)
	for i := range byLine {
		res.ByLine[i].Reaction = NewDist(byLine[i])
		res.ByLine[i].Reaction.Ms = nil
	}

	all, err := traces(ctx, srv, agentID, o.Calls)
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	var server []float64
	for _, tr := range all {
		for _, in := range tr.Interruptions {
			if v, ok := in["reactionMs"].(float64); ok && in["false"] != true {
				server = append(server, v)
			}
		}
	}
	res.ServerReaction = NewDist(server)
	return res, nil
}

type trialOutcome struct {
	skipped  bool
	cleared  bool
	reaction float64
}

// bargeCall runs trials on one call: ask the long question, wait until the
// answer has played for the trial's delay, talk over it, and watch for a
// clear.
func bargeCall(ctx context.Context, srv *Server, agentID string, question *twiliotest.Clip, trials []trial,
	record func(trial, trialOutcome), logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(len(trials)+2)*40*time.Second)
	defer cancel()
	call, err := twiliotest.Dial(ctx, twiliotest.Options{BaseURL: srv.URL, AgentID: agentID, NoRecording: true})
	if err != nil {
		return err
	}
	defer call.Close()
	if err := call.WaitQuiet(ctx, 1200*time.Millisecond); err != nil { // the greeting
		return err
	}
	for i, t := range trials {
		asked := time.Now()
		if err := call.SayClip(ctx, question); err != nil {
			return err
		}
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		started, err := call.WaitAudible(actx, asked)
		acancel()
		if err != nil {
			record(t, trialOutcome{skipped: true})
			logf("bargein: trial %d: answer never started: %v", i+1, err)
			if err := call.WaitQuiet(ctx, 1500*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		time.Sleep(time.Until(started.Add(t.delay)))
		sp, err := call.Queue(t.clip)
		if err != nil {
			return err
		}
		if err := sp.Wait(ctx); err != nil {
			return err
		}
		onset := sp.Onset()
		// A clear answering this speech comes within a few seconds of it;
		// for backchannels and noise, the whole rest of the answer is
		// watched (WaitQuiet) so a late cut counts too.
		out := trialOutcome{}
		watch := func() {
			for _, at := range call.Clears() {
				if !at.Before(onset) {
					out.cleared, out.reaction = true, ms(at.Sub(onset))
					return
				}
			}
		}
		if t.kind == interrupt {
			deadline := time.Now().Add(3 * time.Second)
			for watch(); !out.cleared && time.Now().Before(deadline); watch() {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if err := call.WaitQuiet(ctx, 1500*time.Millisecond); err != nil {
			return err
		}
		if !out.cleared {
			watch()
		}
		record(t, out)
		logf("bargein: trial %d kind %d delay %v: cleared %v reaction %.0f ms", i+1, t.kind, t.delay.Round(time.Millisecond), out.cleared, out.reaction)
	}
	hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
	defer hcancel()
	return call.Hangup(hctx)
}

// firstWordEnd is when the first word of text ends in the callers' voice,
// from the start of the speech (flite trims leading silence).
func firstWordEnd(ctx context.Context, text string) (time.Duration, error) {
	syn, err := flite.New(flite.Options{})
	if err != nil {
		return 0, err
	}
	var end time.Duration
	err = syn.Synthesize(ctx, tts.Request{Text: text, VoiceID: CallerVoice}, func(ch tts.Chunk) error {
		if end == 0 && len(ch.Words) > 0 {
			end = ch.Words[0].End
		}
		return nil
	})
	return end, err
}

// noiseBurst is d of white noise at about −20 dBFS, as a bump or a breath
// on the line.
func noiseBurst(rng *rand.Rand, d time.Duration) []int16 {
	pcm := make([]int16, int(d*8000/time.Second))
	for i := range pcm {
		pcm[i] = int16(rng.NormFloat64() * 3200)
	}
	return pcm
}

// mmHmm is a hummed "mm-hmm" at 8 kHz. flite reads "mm-hmm" as letters
// (em, em, aitch, em, em: over a second of speech no listener makes), so
// the backchannel is made as people make it: two nasal hums with the lips
// closed, a breathy dip between them, the second rising in pitch. A hum is
// a glottal tone whose harmonics fall off fast, nearly all its energy under
// 500 Hz.
func mmHmm() []int16 {
	const rate = 8000
	type part struct {
		dur      time.Duration
		f0, f1   float64 // pitch at start and end
		level    float64
		breathed bool
	}
	parts := []part{
		{180 * time.Millisecond, 110, 104, 1, false},
		{70 * time.Millisecond, 104, 104, 0.12, true},
		{230 * time.Millisecond, 112, 145, 1, false},
	}
	rng := rand.New(rand.NewPCG(3, 5))
	var pcm []int16
	phase := 0.0
	for _, p := range parts {
		n := int(p.dur * rate / time.Second)
		for i := range n {
			x := float64(i) / float64(n)
			f0 := p.f0 + (p.f1-p.f0)*x
			phase += 2 * math.Pi * f0 / rate
			var v float64
			for k := 1.0; k*f0 < 1200; k++ {
				v += math.Sin(k*phase) / (k * k)
			}
			if p.breathed {
				v = 0.5*v + rng.NormFloat64()*0.3
			}
			// 15 ms ramps at each end of a part.
			env := min(1, float64(i)/120, float64(n-i)/120)
			pcm = append(pcm, int16(3000*p.level*env*v))
		}
	}
	return pcm
}

// lower turns lines into recogniser phrases: lower case, no punctuation.
func lower(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Trim(strings.ToLower(strings.NewReplacer(",", "", "?", "", ".", "").Replace(l)), " ")
	}
	return out
}
