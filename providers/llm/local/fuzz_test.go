package local

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

var fuzzSeeds = []string{
	"", "twenty three", "one hundred and five", "a thousand", "five five five one two three four",
	"double oh seven", "December 5th at ten thirty", "the day after tomorrow", "in a week", "2/30/2025",
	"quarter to twelve", "half past", "12:60", "my name is", "j o h n", "x at y dot", "+ 1 - - 5",
	"1,,,2", "3pm3pm", "-", "...", "May", "the 0th", "99999999999999999999999", "in 99999 weeks",
	"é ü 中文 — ’s", "yes no yes", "never mind", "bye", "I'm", "1/1/1", "2025-13-45",
}

// FuzzParsers feeds arbitrary utterances to every parser: none may panic,
// and what they return must be well formed.
func FuzzParsers(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := tokenize(s)
		for i := range toks {
			numberAt(toks, i)
		}
		parseNumber(s)
		if d, ok := parseDigits(s, 1); ok && strings.Trim(d, "+0123456789") != "" {
			t.Fatalf("parseDigits(%q) = %q", s, d)
		}
		for _, lenient := range []bool{false, true} {
			if d, ok := parseDate(s, now, lenient); ok && (d.Hour() != 0 || d.Location() != now.Location()) {
				t.Fatalf("parseDate(%q) = %v", s, d)
			}
			if c, ok := parseTime(s, lenient); ok && (c.hour < 0 || c.hour > 23 || c.minute < 0 || c.minute > 59) {
				t.Fatalf("parseTime(%q) = %v", s, c)
			}
			if n, ok := parseName(s, lenient); ok && n == "" {
				t.Fatalf("parseName(%q) ok but empty", s)
			}
			matchEnum(s, []string{"a b", "c", ""}, lenient)
		}
		parseEmail(s)
		parseBool(s)
		freeText(s)
		conceptsOf(s)
		sentences(s)
		speakResult(s, nil)
		ParseSystemPrompt(s)
		if out := substitute(s, map[string]string{"x": "y"}); utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("substitute(%q) = invalid UTF-8", s)
		}
	})
}

// FuzzEngine runs a booking conversation whose user turns are arbitrary:
// the engine must always finish with Done and produce valid JSON
// arguments.
func FuzzEngine(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add("book an appointment", s)
		f.Add(s, "tomorrow at 3pm, my name is Ana")
	}
	e := New(Options{Now: fixedClock, Knowledge: &fakeKnowledge{passages: clinicPassages}, Confirm: true})
	f.Fuzz(func(t *testing.T, a, b string) {
		msgs := []llm.Message{{Role: llm.RoleSystem, Content: FormatSystemPrompt(bookingPrompt, map[string]string{"x": a}, nil)}}
		for _, u := range []string{a, b, a} {
			msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: u})
			var text strings.Builder
			var calls []llm.ToolCall
			done := false
			err := e.Stream(context.Background(), llm.Request{Messages: msgs, Tools: bookingTools}, func(ev llm.Event) error {
				switch {
				case ev.Done:
					done = true
				case ev.ToolCall != nil:
					if !json.Valid(ev.ToolCall.Arguments) {
						t.Fatalf("invalid arguments %s", ev.ToolCall.Arguments)
					}
					calls = append(calls, *ev.ToolCall)
				default:
					text.WriteString(ev.TextDelta)
				}
				return nil
			})
			if err != nil || !done {
				t.Fatalf("Stream: %v, done %v", err, done)
			}
			msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: text.String(), ToolCalls: calls})
		}
	})
}
