package voicebench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

// LoadLevel is part 3's outcome at one number of concurrent calls.
type LoadLevel struct {
	Calls          int     `json:"calls"`
	Connected      int     `json:"connected"`
	DialFailed     int     `json:"dialFailed"`
	Dropped        int     `json:"dropped"`    // the stream ended before the caller hung up
	Unanswered     int     `json:"unanswered"` // turns with no agent answer
	SteadySeconds  float64 `json:"steadySeconds"`
	ServerCPUPct   Num     `json:"serverCpuPctPerCall"` // % of one core per call
	ServerCPUTotal Num     `json:"serverCpuPct"`        // % of one core, all calls
	GenCPUTotal    Num     `json:"generatorCpuPct"`     // % of one core
	Talking        Num     `json:"agentsTalking"`       // agent streams sending, on average over the window
	IdleRSSMiB     Num     `json:"idleRssMiB"`
	RSSPerCallKiB  Num     `json:"rssPerCallKiB"`
	FramesSent     Num     `json:"outboundFrames"`
	LateFrames     Num     `json:"lateFrames"`
	LatePct        Num     `json:"latePct"`
	InboundFrames  Num     `json:"inboundFrames"`
	Latency        Dist    `json:"turnLatencyMs"`
	// LateBySecond counts late frames in each second from the first call
	// placed to the last hung up: when they happen says why.
	LateBySecond    []int  `json:"lateBySecond"`
	MetricsAsSource string `json:"metricsSource"`
}

// LoadOptions configure part 3.
type LoadOptions struct {
	Bin    string
	Levels []int         // default 100, 500, 1000, 2000
	Hold   time.Duration // each call's length, default 30 s
	Budget time.Duration // all levels, default 6 min
	Log    func(format string, args ...any)
}

const simConfig = `sim:
  ttsFirstChunk: 20ms
  sttFinalLatency: 30ms
  llmFirstToken: 50ms
  script: ["hello I would like to check my appointment", "thank you goodbye"]
  reply: "Sure, I can help with that. Your appointment is on Monday at ten."
`

// RunLoad holds many simulated calls against the sim providers.
func RunLoad(ctx context.Context, o LoadOptions) ([]LoadLevel, error) {
	if len(o.Levels) == 0 {
		o.Levels = []int{100, 500, 1000, 2000}
	}
	if o.Hold <= 0 {
		o.Hold = 30 * time.Second
	}
	if o.Budget <= 0 {
		o.Budget = 6 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	if _, err := RaiseFileLimit(); err != nil {
		return nil, err
	}
	// The generator's heap is small and long-lived; collecting it less
	// often keeps its CPU share down.
	defer debug.SetGCPercent(debug.SetGCPercent(400))

	var lines []*twiliotest.Clip
	for _, text := range []string{"Hello, I would like to check my appointment.", "Thank you, goodbye."} {
		pcm, err := twiliotest.Synthesize(ctx, nil, text, CallerVoice)
		if err != nil {
			return nil, err
		}
		lines = append(lines, twiliotest.NewClip(pcm, 0))
	}
	var out []LoadLevel
	for _, n := range o.Levels {
		if ctx.Err() != nil {
			o.Log("load: budget spent before %d calls", n)
			break
		}
		lv, err := runLevel(ctx, o, n, lines)
		if err != nil {
			return out, fmt.Errorf("voicebench: %d calls: %w", n, err)
		}
		o.Log("load: %d calls: %+v", n, *lv)
		out = append(out, *lv)
	}
	return out, nil
}

func runLevel(ctx context.Context, o LoadOptions, n int, lines []*twiliotest.Clip) (*LoadLevel, error) {
	srv, err := StartServer(ctx, ServerOptions{Bin: o.Bin, Config: simConfig})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	var agent struct {
		ID string `json:"id"`
	}
	if _, err := srv.Do(ctx, "POST", "/v1/agents", map[string]any{
		"name": "Load test", "prompt": "You confirm appointments.",
		"firstMessage": "Hello, how can I help?",
		"voice":        map[string]any{"provider": "sim", "voiceId": "sim-default"},
		"llm":          map[string]any{"provider": "sim"},
		"stt":          map[string]any{"provider": "sim"},
	}, &agent); err != nil {
		return nil, err
	}
	time.Sleep(time.Second) // settle after start-up before the idle sample
	idle, err := ReadProc(srv.PID())
	if err != nil {
		return nil, err
	}
	m0, err := srv.Metrics(ctx)
	if err != nil {
		return nil, err
	}

	lv := &LoadLevel{Calls: n, IdleRSSMiB: Num(float64(idle.RSSBytes) / (1 << 20)), MetricsAsSource: "/metrics"}
	ramp := max(3*time.Second, time.Duration(n)*time.Second/200)
	lctx, lcancel := context.WithTimeout(ctx, ramp+o.Hold+90*time.Second)
	defer lcancel()
	var connected, dialFailed, dropped, unanswered atomic.Int64
	var mu sync.Mutex // guards lat
	lat := make([]float64, 0, 2*n)
	// One webhook client for all callers, keeping its connections.
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer hc.CloseIdleConnections()
	start := time.Now()
	tctx, tcancel := context.WithCancel(ctx)
	defer tcancel()
	traced := make(chan []int, 1)
	go func() { traced <- lateTrace(tctx, srv) }() // owned here: stopped by tcancel below
	var wg sync.WaitGroup
	for i := range n {
		at := start.Add(ramp * time.Duration(i) / time.Duration(n))
		wg.Add(1)
		go func() { // owned here: wg waits for it, lctx bounds it
			defer wg.Done()
			time.Sleep(time.Until(at))
			r := loadCall(lctx, srv.URL, agent.ID, lines, at.Add(o.Hold), uint64(i), hc)
			switch {
			case r.dialErr:
				dialFailed.Add(1)
				return
			case r.dropped:
				dropped.Add(1)
			}
			connected.Add(1)
			unanswered.Add(int64(r.unanswered))
			mu.Lock()
			lat = append(lat, r.latency...)
			mu.Unlock()
		}()
	}

	// The steady window: every call placed and none yet hung up.
	winStart, winEnd := start.Add(ramp+2*time.Second), start.Add(o.Hold-time.Second)
	time.Sleep(time.Until(winStart))
	p0, err := ReadProc(srv.PID())
	if err != nil {
		return nil, err
	}
	g0 := SelfCPU()
	w0, err := srv.Metrics(ctx)
	if err != nil {
		return nil, err
	}
	var peak int64
	for time.Now().Before(winEnd) {
		time.Sleep(min(time.Second, time.Until(winEnd)))
		if p, err := ReadProc(srv.PID()); err == nil && p.RSSBytes > peak {
			peak = p.RSSBytes
		}
	}
	w1, err := srv.Metrics(ctx)
	if err != nil {
		return nil, err
	}
	p1, err := ReadProc(srv.PID())
	if err != nil {
		return nil, err
	}
	g1 := SelfCPU()
	wg.Wait()
	tcancel()
	lv.LateBySecond = <-traced
	m1, err := srv.Metrics(ctx)
	if err != nil {
		return nil, err
	}

	win := p1.At.Sub(p0.At)
	lv.SteadySeconds = win.Seconds()
	lv.Connected, lv.DialFailed, lv.Dropped, lv.Unanswered = int(connected.Load()), int(dialFailed.Load()), int(dropped.Load()), int(unanswered.Load())
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / win.Seconds() }
	lv.ServerCPUTotal = Num(pct(p1.CPU - p0.CPU))
	lv.ServerCPUPct = Num(pct(p1.CPU-p0.CPU) / float64(n))
	lv.GenCPUTotal = Num(pct(g1 - g0))
	// 50 frames a second per agent stream that is talking.
	lv.Talking = Num((w1["switchboard_outbound_frames_total"] - w0["switchboard_outbound_frames_total"]) / win.Seconds() / 50)
	lv.RSSPerCallKiB = Num(float64(max(peak, p1.RSSBytes)-idle.RSSBytes) / 1024 / float64(n))
	sent := m1["switchboard_outbound_frames_total"] - m0["switchboard_outbound_frames_total"]
	late := m1["switchboard_outbound_late_frames_total"] - m0["switchboard_outbound_late_frames_total"]
	lv.FramesSent, lv.LateFrames = Num(sent), Num(late)
	lv.LatePct = Num(100 * late / max(sent, 1))
	lv.InboundFrames = Num(m1["switchboard_inbound_frames_total"] - m0["switchboard_inbound_frames_total"])
	lv.Latency = NewDist(lat)
	lv.Latency.Ms = nil // thousands of samples: the percentiles are enough
	return lv, nil
}

// lateTrace samples the server's late-frame counter every second until ctx
// ends and returns the count in each second.
func lateTrace(ctx context.Context, srv *Server) []int {
	var out []int
	last := -1.0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if m, err := srv.Metrics(ctx); err == nil {
			v := m["switchboard_outbound_late_frames_total"]
			if last >= 0 {
				out = append(out, int(v-last))
			}
			last = v
		}
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}

type loadOutcome struct {
	dialErr, dropped bool
	unanswered       int
	latency          []float64
}

// loadCall is one caller: after the greeting it converses until shortly
// before end (a line, the agent's answer, a pause of 0.8–2.5 s), then
// holds and hangs up. The random pauses put the calls at independent
// points of their conversations, as real calls are, so about half the
// agents talk at any moment rather than all at once.
func loadCall(ctx context.Context, baseURL, agentID string, lines []*twiliotest.Clip, end time.Time, seed uint64, hc *http.Client) (r loadOutcome) {
	rng := rand.New(rand.NewPCG(seed, 3))
	dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
	call, err := twiliotest.Dial(dctx, twiliotest.Options{BaseURL: baseURL, AgentID: agentID, NoRecording: true, HTTP: hc})
	dcancel()
	if err != nil {
		r.dialErr = true
		return r
	}
	defer call.Close()
	pause := func(lo, hi time.Duration) {
		select {
		case <-time.After(lo + time.Duration(rng.Int64N(int64(hi-lo)))):
		case <-ctx.Done():
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	_, err = call.WaitForAgent(wctx, 600*time.Millisecond)
	wcancel()
	if err != nil {
		r.unanswered++
	}
	for i := 0; time.Until(end) > 8*time.Second; i++ {
		cl := lines[i%len(lines)]
		pause(800*time.Millisecond, 2500*time.Millisecond)
		if err := call.SayClip(ctx, cl); err != nil {
			break
		}
		wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
		u, err := call.WaitForAgent(wctx, 600*time.Millisecond)
		wcancel()
		if err != nil {
			r.unanswered++
			continue
		}
		r.latency = append(r.latency, ms(u.Latency))
	}
	select {
	case <-time.After(time.Until(end)):
	case <-call.Done():
	case <-ctx.Done():
	}
	if call.Err() != nil {
		r.dropped = true
		return r
	}
	hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
	defer hcancel()
	_ = call.Hangup(hctx)
	return r
}
