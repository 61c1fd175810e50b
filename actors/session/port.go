package session

import (
	"errors"
	"time"
)

// ErrPortFull is returned by Play when the playout queue has no room: the
// session keeps the audio and offers it again as queued items play.
var ErrPortFull = errors.New("session: playout queue full")

// Port is how a session reaches its caller; the transport implements it.
// Every method returns at once: audio goes into a bounded playout queue and
// control messages into a bounded outbox, so a slow socket never blocks the
// actor.
type Port interface {
	// Play queues agent audio at SampleRate as item id, or returns
	// ErrPortFull.
	Play(id uint64, pcm []int16) error
	// Clear drops all queued agent audio and reports how many samples of
	// each dropped item had been played.
	Clear() []Played
	// Notify sends a control event to the client (ignored where the
	// protocol has no such event).
	Notify(ev Event)
	// Hangup ends the call once queued audio has played.
	Hangup()
}

// SampleRate is the rate of the session's audio: agent audio given to Play
// and caller audio given to the recogniser.
const SampleRate = 16000

// Played is how much of an item the caller heard.
type Played struct {
	ID      uint64
	Samples int
}

// Event is a control event for direct-protocol clients.
type Event struct {
	Type string `json:"type"`
	// Text of transcripts and agent messages.
	Text string `json:"text,omitempty"`
	// Final marks a final transcript.
	Final bool `json:"final,omitempty"`
	// Digit of a DTMF event.
	Digit string `json:"digit,omitempty"`
	// Name and Arguments of a tool call.
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	// Metrics of a finished turn.
	Metrics *TurnMetrics `json:"metrics,omitempty"`
	// Message of an error.
	Message string `json:"message,omitempty"`
}

// TurnMetrics are the latencies of one turn, in milliseconds from the end of
// the caller's speech.
type TurnMetrics struct {
	Turn            int     `json:"turn"`
	STTFinalMs      float64 `json:"sttFinalMs"`
	LLMFirstTokenMs float64 `json:"llmFirstTokenMs"`
	TTSFirstAudioMs float64 `json:"ttsFirstAudioMs"`
	FirstFrameMs    float64 `json:"firstFrameMs"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
