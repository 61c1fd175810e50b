package deepgram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

var errMalformed = errors.New("malformed message")

// message is any message Deepgram sends; only Results carry a transcript.
type message struct {
	Type         string `json:"type"`
	IsFinal      bool   `json:"is_final"`
	SpeechFinal  bool   `json:"speech_final"`
	FromFinalize bool   `json:"from_finalize"`
	Channel      struct {
		Alternatives []struct {
			Transcript string  `json:"transcript"`
			Confidence float64 `json:"confidence"`
			Words      []struct {
				Word           string  `json:"word"`
				PunctuatedWord string  `json:"punctuated_word"`
				Start          float64 `json:"start"`
				End            float64 `json:"end"`
				Confidence     float64 `json:"confidence"`
			} `json:"words"`
		} `json:"alternatives"`
	} `json:"channel"`
	// Error frames (sent before Deepgram closes the socket).
	Description string `json:"description"`
	Message     string `json:"message"`
}

// result is a decoded Results message.
type result struct {
	text         string
	words        []stt.Word
	final        bool // is_final: this segment will not change
	fromFinalize bool
}

// parse decodes one text frame. ok is false for messages that carry no
// transcript (Metadata, SpeechStarted, UtteranceEnd and future types).
func parse(data []byte) (r result, ok bool, err error) {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return result{}, false, fmt.Errorf("%w: %v", errMalformed, err)
	}
	switch m.Type {
	case "Results":
	case "Error":
		msg := m.Description
		if msg == "" {
			msg = m.Message
		}
		return result{}, false, fmt.Errorf("error message: %s", msg)
	default:
		return result{}, false, nil
	}
	r = result{final: m.IsFinal, fromFinalize: m.FromFinalize}
	if len(m.Channel.Alternatives) == 0 {
		return r, true, nil
	}
	alt := m.Channel.Alternatives[0]
	r.text = strings.TrimSpace(alt.Transcript)
	for _, w := range alt.Words {
		text := w.PunctuatedWord
		if text == "" {
			text = w.Word
		}
		r.words = append(r.words, stt.Word{Text: text, Start: seconds(w.Start), End: seconds(w.End), Confidence: clamp01(w.Confidence)})
	}
	return r, true, nil
}

func seconds(f float64) time.Duration {
	if !(f >= 0 && f < 1e7) { // negative, NaN or absurd: not a timestamp
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func clamp01(f float64) float64 {
	if !(f >= 0) {
		return 0
	}
	return min(f, 1)
}
