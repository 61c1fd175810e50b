package session

import (
	"time"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

// Messages from the media loops. At is media time: the offset from the
// start of the session on the session's clock.

// SpeechStarted reports caller speech onset (VAD).
type SpeechStarted struct{ At time.Duration }

// SpeechEnded reports the end of caller speech (VAD, after its hangover).
type SpeechEnded struct{ At time.Duration }

// Transcript is an interim or final recognition of the caller's speech.
type Transcript struct {
	Text  string
	Final bool
	Words []stt.Word
	At    time.Duration
}

// DTMF is a key the caller pressed.
type DTMF struct {
	Digit byte
	At    time.Duration
}

// TextInput is typed input from a client that has a keyboard.
type TextInput struct{ Text string }

// ItemSent reports that the first frame of an item went out (or, with
// First unset, that all of it did).
type ItemSent struct {
	ID    uint64
	First bool
	At    time.Duration
}

// ItemPlayed reports that an item finished playing at the caller.
type ItemPlayed struct {
	ID uint64
	At time.Duration
}

// Hangup ends the session from the caller's side (stop event, socket loss,
// client "end").
type Hangup struct{ Reason string }

// EndCall asks the session to end the call once the agent has finished
// speaking (a tool of type end_call or transfer_call ran).
type EndCall struct{ Reason string }

// Cancel stops the agent's current reply at the client's request.
type Cancel struct{}

// Snapshot asks for the session's state. Answer: *State.
type Snapshot struct{}

// State is a snapshot of a session.
type State struct {
	ID       string
	Turn     string
	Messages []Message
}
