package session

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/switchboard-voice/switchboard/providers/llm"
	"github.com/switchboard-voice/switchboard/providers/llm/local"
	"github.com/switchboard-voice/switchboard/resource"
)

// Words that leave a sentence unfinished: a caller who stops after one of
// them is usually pausing, not done.
var unfinished = setOf("and", "or", "but", "so", "because", "um", "uh", "er", "erm", "the", "a", "an", "to",
	"of", "my", "your", "our", "is", "are", "was", "with", "for", "at", "in", "on", "if", "then", "like", "well",
	"that", "this", "it's", "i'm", "i", "we", "from", "by", "about", "as", "than", "let", "can", "could", "would")

// Number words: a caller spelling a number or an ID pauses between groups.
var numberWords = setOf("zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"ten", "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
	"hundred", "thousand", "double", "triple")

// Fillers carry no request; with backchannels they never interrupt.
var fillers = setOf("uh", "um", "hmm", "mm", "mhm", "er", "ah", "oh", "huh", "the", "a")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// tokens splits text into lower-case words without punctuation.
func tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// endpointWait is how much silence after the caller's last voiced frame ends
// the turn, judged from what was said: a complete sentence ends sooner, a
// trailing "and", "um" or a number being spelled out later.
func endpointWait(text string, base time.Duration) time.Duration {
	words := tokens(text)
	if len(words) == 0 {
		return base
	}
	last := words[len(words)-1]
	switch {
	case unfinished[last]:
		return base * 5 / 2
	case numberWords[last] || allDigits(last):
		return base * 2
	case len(words) >= 2 || shortAnswers[last]:
		return base / 3
	default:
		return base
	}
}

// shortAnswers are complete turns of one word.
var shortAnswers = setOf("yes", "no", "yeah", "nope", "sure", "thanks", "bye", "goodbye", "okay", "ok", "correct", "right", "hello", "hi")

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// contentWords are the words of text that could be a real interruption: not
// backchannels ("uh-huh", "okay"), not fillers, and not the agent's own
// words coming back on the line (echo).
func contentWords(text string, backchannels []string, agentSaid map[string]bool) []string {
	bc := map[string]bool{}
	for _, b := range backchannels {
		for _, w := range tokens(b) {
			bc[w] = true
		}
	}
	var out []string
	for _, w := range tokens(text) {
		if bc[w] || fillers[w] || agentSaid[w] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// isBackchannel reports whether text is only acknowledgement.
func isBackchannel(text string, backchannels []string) bool {
	return len(tokens(text)) > 0 && len(contentWords(text, backchannels, nil)) == 0
}

// barge is caller speech heard while the agent talks, being judged.
type barge struct {
	onset time.Duration
	words string // the latest interim transcript of this speech
	// prev holds the content words of the interim transcript before it:
	// a recogniser's first guesses flicker, so one word counts only once
	// two interim transcripts agree on it.
	prev     []string
	paused   bool // the agent's audio was stopped pending words
	pausedAt time.Duration
}

// bargeWordWait is how long speech without recognised words may go on
// before the agent pauses anyway: long speech is rarely a backchannel.
const bargeWordWait = 700 * time.Millisecond

// falseAfter is how long after its onset a paused interruption may wait for
// words before the agent resumes where it stopped.
const falseAfter = 1500 * time.Millisecond

type endpointTick struct{ seq int }

func (s *session) interruptible() bool {
	r := s.reply
	return r != nil && r.committed && !s.cfg.Agent.Turn.Uninterruptible
}

func (s *session) onSpeechStarted(msg *SpeechStarted) {
	s.speaking = true
	s.speechStart = msg.At
	s.disarmSilence()
	r := s.reply
	switch {
	case r != nil && !r.committed:
		// The caller went on before the endpoint: the preemptive reply is
		// discarded, and the next fragment joins what was said.
		s.stopReply(false)
		s.endpointSeq++
		s.state = userSpeaking
	case s.interruptible() && s.barge == nil:
		s.bargeSeq++
		s.barge = &barge{onset: msg.At}
		wait := time.Duration(s.cfg.Agent.Turn.InterruptionMinMs)*time.Millisecond - (s.now() - msg.At)
		s.after(max(wait, 0), &bargeCheck{seq: s.bargeSeq})
	case r == nil:
		s.state = userSpeaking
	}
}

func (s *session) onSpeechEnded(msg *SpeechEnded) {
	s.speaking = false
	s.speechEnd, s.speechEndSeen = msg.At, s.now()
	if s.state == userSpeaking {
		s.state = listening
	}
}

func (s *session) onTranscript(msg *Transcript) {
	if !msg.Final {
		s.cfg.Port.Notify(Event{Type: "transcript.partial", Text: msg.Text})
		if b := s.barge; b != nil {
			b.prev = s.content(b.words)
			b.words = msg.Text
			s.judgeBarge(false)
		}
		return
	}
	text := strings.TrimSpace(msg.Text)
	s.cfg.Port.Notify(Event{Type: "transcript.final", Text: text, Final: true})
	if b := s.barge; b != nil {
		if !interrupting(s.content(text), len(tokens(text))) {
			// A backchannel, a cough, or the agent's own echo: the agent
			// goes on (from where it paused, if it did).
			s.resolveFalseBarge(text)
			return
		}
		s.commitInterrupt()
	} else if s.reply != nil && s.reply.committed && s.cfg.Agent.Turn.Uninterruptible {
		return // words over an uninterruptible agent are not answered
	}
	if text == "" {
		if s.reply == nil {
			s.state = listening
			s.armSilence()
		}
		return
	}
	s.sttFinal = msg.At
	if s.pending != "" {
		text = s.pending + " " + text
	}
	s.pending = text
	s.startPreemptive(text)
	wait := endpointWait(text, time.Duration(s.cfg.Agent.Turn.EndpointingMs)*time.Millisecond) - (s.now() - s.speechEnd)
	s.endpointSeq++
	if wait <= 0 || !s.speaking && s.cfg.Agent.Turn.EndpointingMs == 0 {
		s.commitTurn()
		return
	}
	s.after(wait, &endpointTick{seq: s.endpointSeq})
}

// stopWords interrupt on their own, from the first interim transcript that
// holds one; any other single word heard over the agent is more likely a
// misrecognised backchannel than a request. "What?" over the agent asks
// for a repair. ("Hello?" would too, but a hummed "mm-hmm" is heard as
// "hello" as often as not.)
var stopWords = setOf("stop", "wait", "no", "sorry", "hold", "excuse", "actually", "hang", "pardon", "what")

// StopWords lists the words that interrupt the agent on their own, for a
// recogniser's vocabulary.
func StopWords() []string { return slices.Sorted(maps.Keys(stopWords)) }

// functionWords carry no request on their own. A recogniser that hears a
// backchannel or a breath it has no words for fills in short, common words
// ("you", "for", "them"), so over the agent only the other words count.
var functionWords = setOf("i", "i'm", "i'd", "you", "he", "she", "it", "it's", "we", "they", "them", "him", "her",
	"me", "us", "that", "this", "a", "an", "the", "for", "of", "to", "in", "on", "at", "from", "with", "by",
	"and", "or", "but", "am", "is", "are", "was", "were", "be")

// interrupting judges a final transcript of spoken words heard over the
// agent from its content words: two of them, a stop word, or one in a
// sentence of three words or more ("are you there").
func interrupting(words []string, spoken int) bool {
	return len(words) >= 2 || len(words) == 1 && (stopWords[words[0]] || spoken >= 3)
}

// content is what of text could interrupt the agent.
func (s *session) content(text string) []string {
	said := map[string]bool{}
	if r := s.reply; r != nil {
		for _, w := range tokens(r.text.String()) {
			said[w] = true
		}
	}
	return slices.DeleteFunc(contentWords(text, s.cfg.Agent.Turn.Backchannels, said),
		func(w string) bool { return functionWords[w] })
}

// judgeBarge decides, as words and time arrive, whether caller speech over
// the agent is an interruption.
func (s *session) judgeBarge(timer bool) {
	b := s.barge
	if !s.interruptible() {
		s.barge = nil
		return
	}
	elapsed := s.now() - b.onset
	minimum := time.Duration(s.cfg.Agent.Turn.InterruptionMinMs) * time.Millisecond
	if elapsed < minimum {
		return // the timer at onset+minimum judges again
	}
	if words := s.content(b.words); len(words) >= 2 ||
		len(words) == 1 && (stopWords[words[0]] || slices.Contains(b.prev, words[0])) {
		s.commitInterrupt()
		return
	}
	switch {
	case b.paused && elapsed >= falseAfter && !s.speaking:
		s.resolveFalseBarge(b.words)
	case !b.paused && s.speaking && elapsed >= minimum+bargeWordWait:
		s.pauseReply()
	}
	if timer && s.barge != nil {
		s.after(100*time.Millisecond, &bargeCheck{seq: s.bargeSeq})
	}
}

// pauseReply stops the agent's audio without giving up the reply: speech
// that goes on without recognisable words may still turn out to be noise.
func (s *session) pauseReply() {
	r := s.reply
	r.cut = s.cfg.Port.Clear()
	r.held = true
	s.barge.paused, s.barge.pausedAt = true, s.now()
	s.cfg.Port.Notify(Event{Type: "agent.paused"})
}

// commitInterrupt stops the agent for good: no more generation or
// synthesis, queued audio dropped, and the assistant message cut to the
// words the caller heard.
func (s *session) commitInterrupt() {
	r, b := s.reply, s.barge
	s.barge = nil
	if r == nil {
		return
	}
	played := r.cut
	if !r.held || played == nil {
		played = s.cfg.Port.Clear()
	}
	now := s.now()
	cleared := now
	if b.paused {
		cleared = b.pausedAt
	}
	heard := r.heardText(played)
	r.cancel()
	s.reply = nil
	if r.msgIndex >= 0 {
		m := &s.conv.Messages[r.msgIndex]
		m.Text, m.Interrupted, m.EndMs = heard, true, int64(ms(now))
	}
	s.trace.Interruptions = append(s.trace.Interruptions, resource.Interruption{
		AtMs: ms(b.onset), ReactionMs: ms(cleared - b.onset), TalkOverMs: ms(cleared - b.onset),
	})
	s.observeInterruption("interrupted")
	s.cfg.Port.Notify(Event{Type: "agent.interrupted", Text: heard})
	s.state = listening
	if s.speaking {
		s.state = userSpeaking
	}
}

// resolveFalseBarge ends a barge that had no words: a paused agent resumes
// where it stopped rather than starting again.
func (s *session) resolveFalseBarge(words string) {
	b, r := s.barge, s.reply
	s.barge = nil
	outcome := "noise"
	if isBackchannel(words, s.cfg.Agent.Turn.Backchannels) {
		outcome = "backchannel"
	}
	if !b.paused || r == nil {
		s.observeInterruption(outcome)
		return
	}
	s.trace.Interruptions = append(s.trace.Interruptions, resource.Interruption{
		AtMs: ms(b.onset), ReactionMs: ms(b.pausedAt - b.onset), TalkOverMs: ms(b.pausedAt - b.onset), False: true,
	})
	s.observeInterruption("false")
	s.resume()
	s.cfg.Port.Notify(Event{Type: "agent.resumed"})
}

func (s *session) observeInterruption(outcome string) {
	if s.cfg.OnInterruption != nil {
		s.cfg.OnInterruption(outcome)
	}
}

// startPreemptive begins the reply to the caller's words before the
// endpoint: its audio is held until the turn is committed, and it is
// discarded if the caller goes on.
func (s *session) startPreemptive(text string) {
	history := append(s.history(), llm.Message{Role: llm.RoleUser, Content: text})
	model, tools, runner, know := s.cfg.LLM, s.tools(), s.cfg.Tools, s.cfg.Knowledge
	a := s.cfg.Agent
	s.beginReply(func(r *reply) {
		if know != nil {
			// Retrieval runs in the reply, off the mailbox; the model sees
			// the passages most related to what was just said.
			passages, err := know(r.ctx, text)
			if err == nil && len(passages) > 0 {
				history[0].Content = local.FormatSystemPrompt(a.Prompt, a.Variables, passages)
			}
		}
		r.generate(model, history, tools, runner)
	}, false, true)
	s.state = thinking
}

// commitTurn ends the caller's turn: their words join the conversation and
// the reply already under way is released to play.
func (s *session) commitTurn() {
	r := s.reply
	if r == nil || r.committed || s.pending == "" {
		return
	}
	now := s.now()
	s.conv.Messages = append(s.conv.Messages, resource.ConversationMessage{
		Role: "user", Text: s.pending, StartMs: int64(ms(s.speechStart)), EndMs: int64(ms(s.speechEnd)),
	})
	s.turn = &resource.TurnTrace{Turn: len(s.trace.Turns) + 1, UserText: s.pending,
		VADEndMs: ms(s.speechEnd), SpeechEndMs: ms(s.speechEndSeen), STTFinalMs: ms(s.sttFinal), EndpointMs: ms(now),
		ReplyStartMs: -1, LLMFirstTokenMs: -1, TTSFirstAudioMs: -1, FirstFrameMs: -1, LatencyMs: -1}
	s.pending = ""
	s.reprompts = 0
	s.commitReply(r)
	s.release(r)
}

// userTurn answers input that needs no endpointing (typed text, DTMF).
func (s *session) userTurn(text string) {
	if s.state == ended {
		return
	}
	if s.reply != nil && s.reply.committed {
		s.barge = &barge{onset: s.now()}
		s.commitInterrupt()
	}
	now := s.now()
	s.speechStart, s.speechEnd, s.speechEndSeen, s.sttFinal = now, now, now, now
	s.pending = text
	s.startPreemptive(text)
	s.commitTurn()
}
