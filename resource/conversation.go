package resource

import "time"

// Channels a conversation can come through.
const (
	ChannelPhone    = "phone"
	ChannelWeb      = "web"
	ChannelChat     = "chat"
	ChannelSelfPlay = "selfplay"
)

// Conversation is the record of one session's dialogue.
type Conversation struct {
	ID             string                `json:"id"`
	OrganizationID string                `json:"-"`
	AgentID        string                `json:"agentId"`
	SessionID      string                `json:"sessionId"`
	CallID         string                `json:"callId"`
	Channel        string                `json:"channel"`
	StartedAt      time.Time             `json:"startedAt"`
	EndedAt        *time.Time            `json:"endedAt"`
	Messages       []ConversationMessage `json:"messages"`
}

// ConversationMessage is one message; times are milliseconds from the
// start of the session. An interrupted assistant message holds only the
// words the caller heard.
type ConversationMessage struct {
	Role        string `json:"role"`
	Text        string `json:"text"`
	StartMs     int64  `json:"startMs"`
	EndMs       int64  `json:"endMs"`
	Interrupted bool   `json:"interrupted"`
	// ToolName names the tool of a tool message.
	ToolName string `json:"toolName,omitempty"`
}

// SessionTrace is the per-turn trace of one session.
type SessionTrace struct {
	SessionID     string         `json:"sessionId"`
	AgentID       string         `json:"agentId"`
	CallID        string         `json:"callId"`
	Channel       string         `json:"channel"`
	StartedAt     time.Time      `json:"startedAt"`
	EndedAt       *time.Time     `json:"endedAt"`
	Turns         []TurnTrace    `json:"turns"`
	Interruptions []Interruption `json:"interruptions"`
}

// TurnTrace holds the spans of one turn as milliseconds from the start of
// the session; -1 marks a span that did not happen.
type TurnTrace struct {
	Turn     int    `json:"turn"`
	UserText string `json:"userText"`
	// VADEndMs is the caller's last voiced frame; SpeechEndMs when the VAD
	// declared the end of speech.
	VADEndMs    float64 `json:"vadEndMs"`
	SpeechEndMs float64 `json:"speechEndMs"`
	STTFinalMs  float64 `json:"sttFinalMs"`
	// ReplyStartMs is when generation began: before EndpointMs when it was
	// preemptive.
	ReplyStartMs    float64 `json:"replyStartMs"`
	LLMFirstTokenMs float64 `json:"llmFirstTokenMs"`
	TTSFirstAudioMs float64 `json:"ttsFirstAudioMs"`
	// EndpointMs is when the end of the caller's turn was decided.
	EndpointMs   float64 `json:"endpointMs"`
	FirstFrameMs float64 `json:"firstFrameMs"`
	// LatencyMs is from the caller's last voiced frame to the first agent
	// audio frame sent.
	LatencyMs float64 `json:"latencyMs"`
}

// Interruption is one barge-in attempt by the caller.
type Interruption struct {
	AtMs float64 `json:"atMs"`
	// ReactionMs is from speech onset to agent audio cleared.
	ReactionMs float64 `json:"reactionMs"`
	// TalkOverMs is how long caller and agent spoke at once.
	TalkOverMs float64 `json:"talkOverMs"`
	// False is set when no words followed the onset.
	False bool `json:"false"`
}

// Call is the telephony leg of a phone session.
type Call struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"-"`
	AgentID        string     `json:"agentId"`
	SessionID      string     `json:"sessionId"`
	Provider       string     `json:"provider"`
	ProviderCallID string     `json:"providerCallId"`
	StreamID       string     `json:"streamId"`
	From           string     `json:"from"`
	To             string     `json:"to"`
	Direction      string     `json:"direction"`
	Status         string     `json:"status"` // in_progress | completed | failed
	StartedAt      time.Time  `json:"startedAt"`
	EndedAt        *time.Time `json:"endedAt"`
	DurationMs     int64      `json:"durationMs"`
	EndReason      string     `json:"endReason"`
	Recording      bool       `json:"recording"`
}
