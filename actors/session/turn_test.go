package session

import (
	"testing"
	"time"
)

func TestEndpointWait(t *testing.T) {
	base := 300 * time.Millisecond
	for _, tc := range []struct {
		text string
		want time.Duration
	}{
		{"what time do you open", base / 3},        // a complete question
		{"yes", base / 3},                          // a complete one-word answer
		{"I would like to book and", base * 5 / 2}, // trailing conjunction
		{"my number is um", base * 5 / 2},          // trailing filler
		{"it's four five six", base * 2},           // digits being spelled
		{"my code is 4321", base * 2},
		{"parking", base}, // one word: could go on
		{"", base},
	} {
		if got := endpointWait(tc.text, base); got != tc.want {
			t.Errorf("endpointWait(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestContentWords(t *testing.T) {
	bc := []string{"uh-huh", "mm-hmm", "yeah", "okay", "right"}
	said := map[string]bool{"our": true, "opening": true, "hours": true}
	for _, tc := range []struct {
		text string
		n    int
	}{
		{"uh huh", 0}, {"yeah okay", 0}, {"mm hmm right", 0}, {"um", 0},
		{"opening hours", 0}, // the agent's own words coming back
		{"wait stop", 2}, {"no I meant tomorrow", 4},
	} {
		if got := contentWords(tc.text, bc, said); len(got) != tc.n {
			t.Errorf("contentWords(%q) = %v, want %d words", tc.text, got, tc.n)
		}
	}
}

func TestInterrupting(t *testing.T) {
	for _, tc := range []struct {
		words  []string
		spoken int
		want   bool
	}{
		{nil, 0, false}, {[]string{"parking"}, 1, false}, {[]string{"stop"}, 1, true}, {[]string{"wait"}, 2, true},
		{[]string{"there"}, 3, true}, {[]string{"meant", "tomorrow"}, 3, true},
	} {
		if got := interrupting(tc.words, tc.spoken); got != tc.want {
			t.Errorf("interrupting(%v) = %v, want %v", tc.words, got, tc.want)
		}
	}
}
