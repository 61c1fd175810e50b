package session

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/resource"
)

// Messages from a reply goroutine to its session. gen ties each to the
// reply that sent it, so the leftovers of a cancelled reply are dropped.
type (
	replyText struct {
		gen   int
		delta string
	}
	replyAudio struct {
		gen   int
		pcm   []int16
		words []tts.Word // ends relative to the start of this chunk
	}
	replyTool struct {
		gen     int
		call    llm.ToolCall
		result  string
		endCall bool
	}
	replyDone struct {
		gen int
		err error
	}
	bargeCheck  struct{ seq int }
	dtmfFlush   struct{ seq int }
	silenceTick struct{ timer *time.Timer }
	maxDuration struct{}
)

// maxToolRounds bounds the model → tool → model loop of one reply.
const maxToolRounds = 4

// reply is one agent utterance in progress. The goroutine reads only the
// fields set before it starts; everything after `msgIndex` belongs to the
// actor.
type reply struct {
	gen    int
	ctx    context.Context
	cancel context.CancelFunc
	send   func(any)
	synth  tts.Synthesizer
	voice  tts.Request // VoiceID, Speed and Pitch of the agent

	msgIndex  int // of the assistant message once committed, else -1
	committed bool
	text      strings.Builder
	items     []item
	finished  bool // the goroutine has produced everything
	hangup    bool // end the call once played
	first     bool // first audio seen
	// held keeps audio from playing: a preemptive reply before its turn is
	// committed, or a reply paused by caller speech. heldAudio is what
	// arrived meanwhile, cut what a pause cleared.
	held      bool
	heldAudio []*replyAudio
	cut       []Played
	// backlog is audio the port had no room for yet, in order.
	backlog []*replyAudio
	// Media times of the reply's spans, -1 until they happen.
	started, llmFirst, ttsFirst time.Duration
}

// item is a chunk of agent audio given to the port. Its PCM is kept so a
// paused reply can resume from the exact sample it stopped at.
type item struct {
	id     uint64
	pcm    []int16
	words  []tts.Word
	played bool
}

func (r *reply) owns(id uint64) bool {
	for i := range r.items {
		if r.items[i].id == id {
			return true
		}
	}
	return false
}

func (r *reply) markPlayed(id uint64) {
	for i := range r.items {
		if r.items[i].id == id {
			r.items[i].played = true
		}
	}
}

func (r *reply) allPlayed() bool {
	if len(r.backlog) > 0 {
		return false
	}
	for i := range r.items {
		if !r.items[i].played {
			return false
		}
	}
	return true
}

// heardText is the text of the words the caller heard: every word of the
// items played to the end, and the words of a partly played item that
// ended before playback stopped.
func (r *reply) heardText(partial []Played) string {
	cut := map[uint64]int{}
	for _, p := range partial {
		cut[p.ID] = p.Samples
	}
	var words []string
	for _, it := range r.items {
		limit := time.Duration(1<<62 - 1)
		if !it.played {
			n, ok := cut[it.id]
			if !ok {
				break // never reached the caller
			}
			limit = time.Duration(n) * time.Second / SampleRate
		}
		for _, w := range it.words {
			if w.End <= limit {
				words = append(words, w.Text)
			}
		}
		if !it.played {
			break
		}
	}
	return strings.Join(words, " ")
}

// beginReply starts a reply goroutine running produce. A preemptive reply
// is held and uncommitted until commitTurn; any other speaks at once.
func (s *session) beginReply(produce func(r *reply), hangup, preemptive bool) {
	s.stopReply(false)
	s.disarmSilence()
	s.gen++
	ctx, cancel := context.WithCancel(context.Background())
	a := s.cfg.Agent
	r := &reply{
		gen: s.gen, ctx: ctx, cancel: cancel, send: s.send, synth: s.cfg.TTS,
		voice:    tts.Request{VoiceID: a.Voice.VoiceID},
		msgIndex: -1, hangup: hangup, held: preemptive,
		started: s.now(), llmFirst: -1, ttsFirst: -1,
	}
	s.reply = r
	if !preemptive {
		s.commitReply(r)
	}
	s.state = thinking
	go func() {
		var err error
		defer func() { r.send(&replyDone{gen: r.gen, err: err}) }()
		err = runProduce(r, produce)
	}()
}

// commitReply makes the reply part of the conversation.
func (s *session) commitReply(r *reply) {
	r.committed = true
	r.msgIndex = len(s.conv.Messages)
	s.conv.Messages = append(s.conv.Messages, resource.ConversationMessage{Role: "assistant", StartMs: int64(ms(s.now()))})
}

// drainBacklog offers waiting audio to the port again, as room appears.
func (s *session) drainBacklog(r *reply) {
	waiting := r.backlog
	r.backlog = nil
	for i, a := range waiting {
		s.playAudio(r, a.pcm, a.words)
		if len(r.backlog) > 0 {
			r.backlog = append(r.backlog, waiting[i+1:]...)
			return
		}
	}
}

// release lets a held reply play, starting with what it produced meanwhile.
func (s *session) release(r *reply) {
	r.held = false
	held := r.heldAudio
	r.heldAudio = nil
	for _, a := range held {
		s.playAudio(r, a.pcm, a.words)
	}
	s.maybeReplyComplete()
}

// resume replays a paused reply from the sample where it was cut.
func (s *session) resume() {
	r := s.reply
	if r == nil {
		return
	}
	cut := r.cut
	r.cut = nil
	var again []*replyAudio
	for _, c := range cut {
		for i := range r.items {
			it := &r.items[i]
			if it.id != c.ID || it.played {
				continue
			}
			offset := time.Duration(c.Samples) * time.Second / SampleRate
			var heard, rest []tts.Word
			for _, w := range it.words {
				if w.End <= offset {
					heard = append(heard, w)
				} else {
					rest = append(rest, tts.Word{Text: w.Text, Start: max(w.Start-offset, 0), End: w.End - offset})
				}
			}
			if c.Samples < len(it.pcm) {
				again = append(again, &replyAudio{pcm: it.pcm[c.Samples:], words: rest})
			}
			// What was heard of the old item stays heard; the rest plays
			// again as a new item.
			it.words, it.played = heard, true
		}
	}
	r.heldAudio = append(again, r.heldAudio...)
	s.release(r)
}

// runProduce runs produce, turning a panic in a provider into an error so
// a broken engine ends the reply, not the process.
func runProduce(r *reply, produce func(r *reply)) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("reply panicked")
		}
	}()
	produce(r)
	return r.ctx.Err()
}

// stopReply cancels the current reply. A committed reply none of whose
// audio reached the caller leaves no message behind; one that played keeps
// its whole text.
func (s *session) stopReply(interrupted bool) {
	r := s.reply
	if r == nil {
		return
	}
	r.cancel()
	s.reply = nil
	if interrupted || r.msgIndex < 0 {
		return
	}
	if len(r.items) == 0 && r.msgIndex == len(s.conv.Messages)-1 {
		s.conv.Messages = s.conv.Messages[:r.msgIndex]
		return
	}
	m := &s.conv.Messages[r.msgIndex]
	m.Text, m.EndMs = strings.TrimSpace(r.text.String()), int64(ms(s.now()))
}

func (s *session) onReplyText(msg *replyText) {
	r := s.reply
	if r == nil || msg.gen != r.gen {
		return
	}
	if r.llmFirst < 0 {
		r.llmFirst = s.now()
	}
	r.text.WriteString(msg.delta)
	s.cfg.Port.Notify(Event{Type: "agent.text.delta", Text: msg.delta})
}

func (s *session) onReplyAudio(msg *replyAudio) {
	r := s.reply
	if r == nil || msg.gen != r.gen || len(msg.pcm) == 0 {
		return
	}
	if r.ttsFirst < 0 {
		r.ttsFirst = s.now()
	}
	if r.held {
		r.heldAudio = append(r.heldAudio, msg)
		return
	}
	s.playAudio(r, msg.pcm, msg.words)
}

// playAudio gives a chunk of the reply to the port as a new item. When the
// port's queue is full the chunk waits in the backlog, behind any others.
func (s *session) playAudio(r *reply, pcm []int16, words []tts.Word) {
	if len(r.backlog) > 0 {
		r.backlog = append(r.backlog, &replyAudio{pcm: pcm, words: words})
		return
	}
	s.nextItem++
	id := s.nextItem
	if err := s.cfg.Port.Play(id, pcm); err != nil {
		s.nextItem--
		if errors.Is(err, ErrPortFull) {
			r.backlog = append(r.backlog, &replyAudio{pcm: pcm, words: words})
			return
		}
		s.cfg.Log.Warn("session_play_dropped", "session_id", s.cfg.SessionID, "err", err)
		return
	}
	r.items = append(r.items, item{id: id, pcm: pcm, words: words})
	if !r.first {
		r.first = true
		s.cfg.Port.Notify(Event{Type: "agent.speech.started"})
	}
	s.state = agentSpeaking
}

func (s *session) onReplyTool(msg *replyTool) {
	r := s.reply
	if r == nil || msg.gen != r.gen {
		return
	}
	s.cfg.Port.Notify(Event{Type: "tool.call", Name: msg.call.Name, Arguments: string(msg.call.Arguments)})
	s.conv.Messages = append(s.conv.Messages, resource.ConversationMessage{
		Role: "tool", ToolName: msg.call.Name, Text: msg.result, StartMs: int64(ms(s.now())), EndMs: int64(ms(s.now())),
	})
	if msg.endCall {
		r.hangup = true
	}
}

func (s *session) onReplyDone(msg *replyDone) {
	r := s.reply
	if r == nil || msg.gen != r.gen {
		return
	}
	r.finished = true
	if msg.err != nil && !errors.Is(msg.err, context.Canceled) {
		s.cfg.Log.Warn("session_reply_failed", "session_id", s.cfg.SessionID, "err", msg.err)
		s.cfg.Port.Notify(Event{Type: "error", Message: "the agent could not answer"})
	}
	s.maybeReplyComplete()
}

// maybeReplyComplete ends the reply once everything it produced was played.
func (s *session) maybeReplyComplete() {
	r := s.reply
	if r == nil || !r.finished || !r.committed || r.held || !r.allPlayed() {
		return
	}
	s.stopReply(false)
	if r.first {
		s.cfg.Port.Notify(Event{Type: "agent.speech.ended"})
	}
	if r.hangup {
		s.hangingUp = true
		s.cfg.Port.Hangup()
		return
	}
	s.state = listening
	if s.speaking {
		s.state = userSpeaking
	}
	s.armSilence()
}

// speak synthesizes fixed text sentence by sentence.
func (r *reply) speak(text string) {
	for _, sentence := range tts.Sentences(text) {
		if r.ctx.Err() != nil || r.synthesize(sentence) != nil {
			return
		}
	}
}

// synthesize turns one sentence into audio chunks for the session.
func (r *reply) synthesize(sentence string) error {
	req := r.voice
	req.Text = sentence
	err := r.synth.Synthesize(r.ctx, req, r.emit)
	if errors.Is(err, tts.ErrUnknownVoice) && req.VoiceID != "" {
		// An agent whose voice is gone still speaks, in the default one.
		req.VoiceID = ""
		err = r.synth.Synthesize(r.ctx, req, r.emit)
	}
	return err
}

func (r *reply) emit(ch tts.Chunk) error {
	pcm := append([]int16(nil), ch.PCM...)
	if ch.SampleRate != SampleRate {
		var err error
		if pcm, err = resample.Convert(pcm, ch.SampleRate, SampleRate); err != nil {
			return err
		}
	}
	words := make([]tts.Word, len(ch.Words))
	for i, w := range ch.Words {
		words[i] = tts.Word{Text: w.Text, Start: w.Start - ch.Offset, End: w.End - ch.Offset}
	}
	r.send(&replyAudio{gen: r.gen, pcm: pcm, words: words})
	return r.ctx.Err()
}

// generate streams the model's answer, speaking each sentence as soon as it
// is complete, and runs the tools it calls.
func (r *reply) generate(model llm.Model, history []llm.Message, tools []llm.Tool, runner ToolRunner) {
	for round := 0; round < maxToolRounds && r.ctx.Err() == nil; round++ {
		var pending strings.Builder // text not yet spoken
		var calls []llm.ToolCall
		var spoken strings.Builder
		err := model.Stream(r.ctx, llm.Request{Messages: history, Tools: tools}, func(ev llm.Event) error {
			switch {
			case ev.TextDelta != "":
				r.send(&replyText{gen: r.gen, delta: ev.TextDelta})
				pending.WriteString(ev.TextDelta)
				sentences := tts.Sentences(pending.String())
				// All but the last sentence are complete; the last may
				// still grow.
				for _, s := range sentences[:max(len(sentences)-1, 0)] {
					if err := r.synthesize(s); err != nil {
						return err
					}
					spoken.WriteString(s + " ")
				}
				if len(sentences) > 1 {
					pending.Reset()
					pending.WriteString(sentences[len(sentences)-1])
				}
			case ev.ToolCall != nil:
				calls = append(calls, *ev.ToolCall)
			}
			return nil
		})
		if rest := strings.TrimSpace(pending.String()); err == nil && rest != "" {
			err = r.synthesize(rest)
			spoken.WriteString(rest)
		}
		if err != nil || len(calls) == 0 {
			return
		}
		history = append(history, llm.Message{Role: llm.RoleAssistant, Content: strings.TrimSpace(spoken.String()), ToolCalls: calls})
		for _, call := range calls {
			result, end := r.runTool(runner, call)
			r.send(&replyTool{gen: r.gen, call: call, result: result, endCall: end})
			if end {
				return
			}
			history = append(history, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Name: call.Name, Content: result})
		}
	}
}

func (r *reply) runTool(runner ToolRunner, call llm.ToolCall) (result string, endCall bool) {
	if call.Name == "end_call" {
		return `{"ok":true}`, true
	}
	if runner == nil {
		return toolError("this tool is not available"), false
	}
	out, err := runner.Run(r.ctx, call)
	if err != nil {
		return toolError(err.Error()), false
	}
	return out, false
}

func toolError(msg string) string {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": msg})
	return string(b)
}
