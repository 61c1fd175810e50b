package local

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// speakResult turns a tool's result into something to say. Results are
// usually JSON objects; the first field that reads as a sentence
// ("message", "text", …) is spoken as is, a confirmation or status is
// announced, and otherwise the first scalar fields are read out. Errors
// are reported without their technical detail unless the detail is a
// short plain sentence.
func speakResult(content string, spec *toolSpec) (text string, failed bool) {
	content = strings.TrimSpace(content)
	var v any
	if err := json.Unmarshal([]byte(content), &v); err != nil {
		if content == "" {
			return "Done.", false
		}
		if looksSpeakable(content, 40) {
			return ensureStop(content), false
		}
		return "Done.", false
	}
	return speakValue(v, spec, 0)
}

func speakValue(v any, spec *toolSpec, depth int) (string, bool) {
	switch x := v.(type) {
	case string:
		if looksSpeakable(x, 40) {
			return ensureStop(x), false
		}
		return "Done.", false
	case bool:
		if !x {
			return errorLine(""), true
		}
		return "Done.", false
	case []any:
		switch len(x) {
		case 0:
			return "I didn't find anything.", false
		case 1:
			return speakValue(x[0], spec, depth+1)
		}
		return fmt.Sprintf("I found %d results.", len(x)), false
	case map[string]any:
		return speakObject(x, spec, depth)
	case nil:
		return "Done.", false
	}
	return "Done. The result is " + spokenValue(v) + ".", false
}

func speakObject(m map[string]any, spec *toolSpec, depth int) (string, bool) {
	if msg, bad := errorOf(m); bad {
		return errorLine(msg), true
	}
	for _, k := range []string{"message", "text", "summary", "speech", "say", "answer", "reply", "description"} {
		if s, ok := lookup(m, k).(string); ok && looksSpeakable(s, 40) {
			return ensureStop(s), false
		}
	}
	// Wrappers such as {"ok": true, "output": {...}}.
	if depth < 2 {
		for _, k := range []string{"output", "result", "data", "response"} {
			if inner, ok := lookup(m, k).(map[string]any); ok {
				return speakObject(inner, spec, depth+1)
			}
			if s, ok := lookup(m, k).(string); ok && looksSpeakable(s, 40) {
				return ensureStop(s), false
			}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // JSON objects have no order; sorting keeps replies deterministic
	for _, k := range keys {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "confirmation") || strings.Contains(lk, "reference") || lk == "bookingid" || lk == "booking_id" {
			if isScalar(m[k]) {
				return "Done. Your " + splitIdentifier(k) + " is " + spokenValue(m[k]) + ".", false
			}
		}
	}
	if s, ok := lookup(m, "status").(string); ok && s != "" {
		return "Done. The status is " + spokenValue(s) + ".", false
	}
	var parts []string
	for _, k := range keys {
		if len(parts) == 2 {
			break
		}
		if lk := strings.ToLower(k); lk == "ok" || lk == "success" || lk == "id" || !isScalar(m[k]) {
			continue
		}
		parts = append(parts, "the "+splitIdentifier(k)+" is "+spokenValue(m[k]))
	}
	if len(parts) == 0 {
		return "Done.", false
	}
	return "Done. " + capitalize(strings.Join(parts, ", and ")) + ".", false
}

// errorOf recognises the usual ways a result reports failure.
func errorOf(m map[string]any) (string, bool) {
	switch e := lookup(m, "error").(type) {
	case string:
		if e != "" {
			return e, true
		}
	case map[string]any:
		msg, _ := lookup(e, "message").(string)
		return msg, true
	case bool:
		if e {
			msg, _ := lookup(m, "message").(string)
			return msg, true
		}
	}
	for _, k := range []string{"ok", "success"} {
		if b, ok := lookup(m, k).(bool); ok && !b {
			msg, _ := lookup(m, "message").(string)
			return msg, true
		}
	}
	if s, ok := lookup(m, "status").(string); ok {
		switch strings.ToLower(s) {
		case "error", "failed", "failure":
			msg, _ := lookup(m, "message").(string)
			return msg, true
		}
	}
	return "", false
}

func errorLine(detail string) string {
	if looksSpeakable(detail, 15) {
		return "I'm sorry, I couldn't complete that: " + strings.TrimRight(lowerFirst(detail), ".!") + "."
	}
	return "I'm sorry, something went wrong and I couldn't complete that."
}

// lookup finds a key case-insensitively.
func lookup(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool, json.Number:
		return true
	}
	return false
}

// technicalRE spots text meant for programs, not callers: URLs, paths,
// error chains, JSON.
var technicalRE = regexp.MustCompile(`[{}\[\]<>/\\_=]|:\s|://|\b(nil|null|err|exception|stack)\b`)

func looksSpeakable(s string, maxWords int) bool {
	s = strings.TrimSpace(s)
	return s != "" && wordCount(s) <= maxWords && !technicalRE.MatchString(s)
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9-]{4,16}$`)

// spokenValue renders a value for speech: ISO dates and clock times as
// words, codes that mix letters and digits spelled out, booleans as yes/no.
func spokenValue(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return fmt.Sprint(x)
	case string:
		if d, err := time.Parse("2006-01-02", x); err == nil {
			return spokenDate(d)
		}
		if c, ok := colonTime(x); ok {
			return c.spoken()
		}
		if len(x) == 8 && x[5] == ':' {
			if c, ok := colonTime(x[:5]); ok {
				return c.spoken()
			}
		}
		if d, err := time.Parse(time.RFC3339, x); err == nil {
			return spokenDate(d) + " at " + clock{d.Hour(), d.Minute()}.spoken()
		}
		if codeRE.MatchString(x) && strings.ContainsAny(x, "0123456789") {
			return spell(x)
		}
		return x
	}
	return fmt.Sprint(v)
}

// spell reads a code character by character: "AB12" → "A B 1 2".
func spell(s string) string {
	var out []string
	for _, r := range strings.ToUpper(s) {
		if r != '-' {
			out = append(out, string(r))
		}
	}
	return strings.Join(out, " ")
}

func ensureStop(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.ContainsAny(s[len(s)-1:], ".!?") {
		s += "."
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if len(s) > 1 && s[1] >= 'a' && s[1] <= 'z' {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}
