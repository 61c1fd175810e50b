package voice

import (
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard/actors/session"
	"github.com/switchboard-voice/switchboard/resource"
)

// TestPhrasesHearStopWords: the domain model is built from an agent's
// phrases and knows no other words, so a stop word missing from them could
// never interrupt. Every one is there for an agent whose prompt has none.
func TestPhrasesHearStopWords(t *testing.T) {
	heard := map[string]bool{}
	for _, p := range phrases(&resource.Agent{AgentSpec: resource.AgentSpec{Prompt: "You book tables.", FirstMessage: "Good evening."}}) {
		for _, w := range strings.Fields(strings.ToLower(p)) {
			heard[w] = true
		}
	}
	for _, w := range session.StopWords() {
		if !heard[w] {
			t.Errorf("stop word %q is in no phrase", w)
		}
	}
}
