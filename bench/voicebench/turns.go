package voicebench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard/transport/twilio/twiliotest"
)

// CallerVoice is the flite voice the simulated callers speak with; the
// agent answers in its own default voice, so the two are told apart.
const CallerVoice = "flite-rms"

// clinicFAQ is the agent's knowledge: short answers for the turn-latency
// questions and one long answer for barge-in trials to talk over.
var clinicFAQ = []map[string]any{
	{"title": "Opening hours", "type": "markdown", "content": "# Opening hours\nThe clinic opens at nine in the morning and closes at five in the evening, Monday to Friday."},
	{"title": "Parking", "type": "markdown", "content": "# Parking\nParking is free in the garage behind the building."},
	{"title": "Insurance", "type": "markdown", "content": "# Insurance\nWe accept most major insurance plans. Bring your insurance card to your first visit."},
	{"title": "Services", "type": "markdown", "content": "# Services\nOur services include general checkups, vaccinations, blood tests, physical therapy, dental cleaning, eye exams, hearing tests, nutrition advice and minor surgery, and our nurses also help with prescriptions and referrals to specialists."},
}

// Questions are the callers' lines in the turn-latency conversations.
var Questions = []string{"What time do you open?", "Is there parking?", "Do you take insurance?"}

// provisionClinic creates the embedded-engine agent with the FAQ
// collection and waits until the collection is indexed.
func provisionClinic(ctx context.Context, s *Server, phrases []string) (string, error) {
	var prov struct {
		Agent struct {
			ID string `json:"id"`
		} `json:"agent"`
		Collection struct {
			ID string `json:"id"`
		} `json:"collection"`
	}
	_, err := s.Do(ctx, "POST", "/v1/agents/provision", map[string]any{
		"agent": map[string]any{
			"name": "Clinic front desk", "prompt": "You answer questions about the clinic.",
			"firstMessage": "Hello, thanks for calling the clinic. How can I help you?",
			"metadata":     map[string]any{"phrases": phrases},
		},
		"collection": map[string]any{"name": "Clinic FAQ", "documents": clinicFAQ},
	}, &prov)
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var col struct {
			ChunkCount int `json:"chunkCount"`
		}
		if _, err := s.Do(ctx, "GET", "/v1/collections/"+prov.Collection.ID, nil, &col); err != nil {
			return "", err
		}
		if col.ChunkCount >= len(clinicFAQ) {
			return prov.Agent.ID, nil
		}
		if time.Now().After(deadline) {
			return "", errors.New("voicebench: collection not indexed after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TurnSpans is one turn of a server trace; NaN marks a span that is
// absent (-1 in the trace, or not reported by this server version).
type TurnSpans struct {
	VADEnd, SpeechEnd, STTFinal, ReplyStart, LLMFirstToken, TTSFirstAudio, Endpoint, FirstFrame, Latency float64
}

// Split is the server's account of one turn's latency, in ms.
type Split struct {
	Total, Endpointing, STT, LLM, TTS, Overhead float64
}

// spanNames maps TurnTrace JSON keys to the fields they fill.
func (t *TurnSpans) fields() map[string]*float64 {
	return map[string]*float64{
		"vadEndMs": &t.VADEnd, "speechEndMs": &t.SpeechEnd, "sttFinalMs": &t.STTFinal,
		"replyStartMs": &t.ReplyStart, "llmFirstTokenMs": &t.LLMFirstToken, "ttsFirstAudioMs": &t.TTSFirstAudio,
		"endpointMs": &t.Endpoint, "firstFrameMs": &t.FirstFrame, "latencyMs": &t.Latency,
	}
}

// parseSpans reads a turn of the trace JSON; it reports the keys the
// trace lacks.
func parseSpans(turn map[string]any) (TurnSpans, []string) {
	var t TurnSpans
	var missing []string
	for k, p := range t.fields() {
		v, ok := turn[k].(float64)
		switch {
		case !ok:
			missing = append(missing, k)
			*p = math.NaN()
		case v < 0:
			*p = math.NaN()
		default:
			*p = v
		}
	}
	return t, missing
}

// split applies the README's definitions; spans the trace lacks fall back
// as described there.
func (t TurnSpans) split() Split {
	ep := t.Endpoint
	if math.IsNaN(ep) {
		ep = t.STTFinal // without endpointMs the final transcript commits the turn
	}
	heard := t.STTFinal
	if !math.IsNaN(t.SpeechEnd) {
		heard = math.Max(t.STTFinal, t.SpeechEnd)
	}
	rs := t.ReplyStart
	if math.IsNaN(rs) {
		rs = math.Max(heard, ep) // without replyStartMs generation starts at the commit
	}
	sp := Split{Total: t.FirstFrame - t.VADEnd, LLM: t.LLMFirstToken - rs, TTS: t.TTSFirstAudio - t.LLMFirstToken}
	if !math.IsNaN(t.Latency) {
		sp.Total = t.Latency
	}
	if math.IsNaN(t.SpeechEnd) {
		sp.Endpointing = math.NaN()
		sp.STT = t.STTFinal - t.VADEnd // endpointing included
	} else {
		sp.Endpointing = t.SpeechEnd - t.VADEnd + math.Max(0, ep-t.STTFinal)
		sp.STT = t.STTFinal - t.SpeechEnd
	}
	sp.Overhead = math.Max(0, (t.FirstFrame-math.Max(ep, t.TTSFirstAudio))+math.Max(0, rs-heard))
	return sp
}

// TurnResult is part 1's outcome.
type TurnResult struct {
	Conversations int      `json:"conversations"`
	Turns         int      `json:"turns"`
	Failed        int      `json:"failedTurns"`
	Caller        Dist     `json:"callerLatencyMs"`
	Server        Dist     `json:"serverLatencyMs"`
	Endpointing   Dist     `json:"endpointingMs"`
	STT           Dist     `json:"sttMs"`
	LLM           Dist     `json:"llmMs"`
	TTS           Dist     `json:"ttsMs"`
	Overhead      Dist     `json:"engineOverheadMs"`
	MissingSpans  []string `json:"missingSpans,omitempty"`
	Notes         []string `json:"notes,omitempty"`
}

// TurnOptions configure part 1.
type TurnOptions struct {
	Bin           string
	Conversations int // default 10
	Parallel      int // conversations at once, default 2
	Log           func(format string, args ...any)
}

// RunTurns measures turn latency with the embedded engines.
func RunTurns(ctx context.Context, o TurnOptions) (*TurnResult, error) {
	o.Conversations = cmp(o.Conversations, 10)
	o.Parallel = cmp(o.Parallel, 2)
	srv, err := StartServer(ctx, ServerOptions{Bin: o.Bin})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	agentID, err := provisionClinic(ctx, srv, lower(Questions))
	if err != nil {
		return nil, err
	}
	lines := make([][]int16, len(Questions))
	for i, q := range Questions {
		if lines[i], err = twiliotest.Synthesize(ctx, nil, q, CallerVoice); err != nil {
			return nil, err
		}
	}
	// A first call warms the engines (decoders, voices, caches) and is
	// not counted: the figures are for a server in service.
	o.Log("turns: warm-up call")
	if _, _, err := converse(ctx, srv, agentID, lines); err != nil {
		return nil, fmt.Errorf("voicebench: warm-up call: %w", err)
	}
	warm, err := traces(ctx, srv, agentID, 1)
	if err != nil {
		return nil, err
	}

	res := &TurnResult{Conversations: o.Conversations}
	var mu sync.Mutex // guards res and caller below
	var caller []float64
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i := range o.Conversations {
		sem <- struct{}{}
		wg.Add(1)
		go func() { // owned by this loop: wg waits for it
			defer wg.Done()
			defer func() { <-sem }()
			lat, failed, err := converse(ctx, srv, agentID, lines)
			mu.Lock()
			defer mu.Unlock()
			caller = append(caller, lat...)
			res.Failed += failed
			if err != nil {
				res.Notes = append(res.Notes, fmt.Sprintf("conversation %d: %v", i+1, err))
			}
			o.Log("turns: conversation %d/%d: %v", i+1, o.Conversations, lat)
		}()
		time.Sleep(700 * time.Millisecond) // parallel calls start apart, as calls do
	}
	wg.Wait()

	all, err := traces(ctx, srv, agentID, o.Conversations+1)
	if err != nil {
		return nil, err
	}
	var server, endp, stt, llm, tts, over []float64
	missing := map[string]bool{}
	for _, tr := range all {
		if tr.ID == warm[0].ID {
			continue
		}
		for _, turn := range tr.Turns {
			sp, miss := parseSpans(turn)
			for _, m := range miss {
				missing[m] = true
			}
			s := sp.split()
			server, endp, stt = append(server, s.Total), append(endp, s.Endpointing), append(stt, s.STT)
			llm, tts, over = append(llm, s.LLM), append(tts, s.TTS), append(over, s.Overhead)
		}
	}
	res.Turns = len(caller)
	res.Caller, res.Server, res.Endpointing, res.STT = NewDist(caller), NewDist(server), NewDist(endp), NewDist(stt)
	res.LLM, res.TTS, res.Overhead = NewDist(llm), NewDist(tts), NewDist(over)
	for k := range missing {
		res.MissingSpans = append(res.MissingSpans, k)
	}
	return res, nil
}

func cmp(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// converse places one call: greeting, each line and its answer, hangup. It
// returns the caller-measured latency of each answered turn.
func converse(ctx context.Context, srv *Server, agentID string, lines [][]int16) ([]float64, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	call, err := twiliotest.Dial(ctx, twiliotest.Options{BaseURL: srv.URL, AgentID: agentID, NoRecording: true})
	if err != nil {
		return nil, len(lines), err
	}
	defer call.Close()
	if _, err := call.WaitForAgent(ctx, 1200*time.Millisecond); err != nil {
		return nil, len(lines), fmt.Errorf("no greeting: %w", err)
	}
	var lat []float64
	for i, pcm := range lines {
		if err := call.SayPCM(ctx, pcm); err != nil {
			return lat, len(lines) - i, err
		}
		u, err := call.WaitForAgent(ctx, 1200*time.Millisecond)
		if err != nil {
			return lat, len(lines) - i, fmt.Errorf("no answer to line %d: %w", i+1, err)
		}
		lat = append(lat, ms(u.Latency))
	}
	hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
	defer hcancel()
	return lat, 0, call.Hangup(hctx)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// trace is a stored session trace, turns kept as raw JSON objects so that
// spans this harness does not know yet cost nothing.
type trace struct {
	ID            string           `json:"sessionId"`
	AgentID       string           `json:"agentId"`
	StartedAt     time.Time        `json:"startedAt"`
	EndedAt       *time.Time       `json:"endedAt"`
	Turns         []map[string]any `json:"turns"`
	Interruptions []map[string]any `json:"interruptions"`
}

// traces waits until want sessions of the agent are stored and returns
// them.
func traces(ctx context.Context, srv *Server, agentID string, want int) ([]trace, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var all []trace
		cursor := ""
		for {
			var page struct {
				Data       []trace `json:"data"`
				NextCursor *string `json:"nextCursor"`
			}
			path := "/v1/observability/sessions?limit=100"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			if _, err := srv.Do(ctx, "GET", path, nil, &page); err != nil {
				return nil, err
			}
			for _, t := range page.Data {
				if t.AgentID == agentID && t.EndedAt != nil {
					all = append(all, t)
				}
			}
			if page.NextCursor == nil || len(page.Data) == 0 {
				break
			}
			cursor = *page.NextCursor
		}
		if len(all) >= want {
			return all, nil
		}
		if time.Now().After(deadline) {
			return all, fmt.Errorf("voicebench: %d of %d session traces stored after 30 s", len(all), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
