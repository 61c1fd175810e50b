package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/switchboard-voice/switchboard/providers/llm"
)

// kind is how a parameter's value is heard and written.
type kind int

const (
	kindText     kind = iota // free string: the rest of the answer
	kindName                 // a person's name
	kindDate                 // "2006-01-02"
	kindTime                 // "15:04", or "15:04:05" for format "time"
	kindDateTime             // RFC 3339 in the clock's location
	kindDigits               // phone numbers, IDs, codes: a digit string
	kindEmail
	kindNumber // JSON number or integer
	kindBool
	kindEnum
	kindUnsupported // objects and arrays of objects: never filled
)

// param is one property of a tool's JSON Schema, reduced to what the
// engine needs to ask for it and parse the answer.
type param struct {
	name, typ, format, desc string
	required                bool
	enum                    []string
	array                   bool // an array of the kind; filled with one element
	kind                    kind
}

// toolSpec is an llm.Tool with its schema parsed and its words indexed.
type toolSpec struct {
	tool   llm.Tool
	params []param
	// concepts of the name, description and parameters, for scoring.
	nameC, descC, paramC map[string]bool
	isEnd, isTransfer    bool
}

// schema is the subset of JSON Schema the engine reads.
type schema struct {
	Type        json.RawMessage `json:"type"`
	Format      string          `json:"format"`
	Description string          `json:"description"`
	Title       string          `json:"title"`
	Enum        []any           `json:"enum"`
	Items       *schema         `json:"items"`
	Required    []string        `json:"required"`
}

func parseTool(t llm.Tool) (*toolSpec, error) {
	ts := &toolSpec{tool: t}
	words := splitIdentifier(t.Name)
	ts.nameC = conceptsOf(words)
	ts.descC = conceptsOf(t.Description)
	ts.paramC = make(map[string]bool)
	nameToks := tokenize(words)
	ts.isEnd = t.Name == "end_call" || hasPhrase(nameToks, "end", "call") || hasPhrase(nameToks, "hang", "up") || hasPhrase(nameToks, "hangup")
	ts.isTransfer = !ts.isEnd && ts.nameC["transfer"]
	params, err := parseParams(t.Parameters)
	if err != nil {
		return nil, fmt.Errorf("%w: tool %q parameters: %v", llm.ErrInvalidRequest, t.Name, err)
	}
	ts.params = params
	for _, p := range params {
		for c := range conceptsOf(splitIdentifier(p.name) + " " + p.desc) {
			ts.paramC[c] = true
		}
	}
	return ts, nil
}

// parseParams reads the properties of an object schema in the order they
// are written, which is the order the engine asks for them.
func parseParams(raw json.RawMessage) ([]param, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var top struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	if len(top.Properties) == 0 {
		return nil, nil
	}
	names, err := objectKeys(top.Properties)
	if err != nil {
		return nil, err
	}
	var props map[string]schema
	if err := json.Unmarshal(top.Properties, &props); err != nil {
		return nil, err
	}
	req := setOf(top.Required...)
	out := make([]param, 0, len(names))
	for _, n := range names {
		s := props[n]
		p := param{name: n, typ: schemaType(s.Type), format: s.Format, desc: strings.TrimSpace(s.Description), required: req[n]}
		if p.desc == "" {
			p.desc = strings.TrimSpace(s.Title)
		}
		enum := s.Enum
		if p.typ == "array" && s.Items != nil {
			p.array = true
			p.typ = schemaType(s.Items.Type)
			if p.format == "" {
				p.format = s.Items.Format
			}
			enum = s.Items.Enum
		}
		for _, e := range enum {
			p.enum = append(p.enum, fmt.Sprint(e))
		}
		p.kind = kindFor(p)
		out = append(out, p)
	}
	return out, nil
}

// objectKeys lists an object's keys in document order (a Go map forgets it).
func objectKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("properties is not an object")
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("properties key is not a string")
		}
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// schemaType reads "type", which may be a list ("string", "null").
func schemaType(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		for _, t := range list {
			if t != "null" {
				return t
			}
		}
	}
	return "string"
}

// kindFor decides how a parameter is heard from its type, format, enum and,
// for plain strings, the words of its name.
func kindFor(p param) kind {
	if len(p.enum) > 0 {
		return kindEnum
	}
	switch p.typ {
	case "boolean":
		return kindBool
	case "integer", "number":
		return kindNumber
	case "object", "array":
		return kindUnsupported
	}
	switch p.format {
	case "date":
		return kindDate
	case "time":
		return kindTime
	case "date-time":
		return kindDateTime
	case "email":
		return kindEmail
	}
	words := setOf(tokenize(splitIdentifier(p.name))...)
	switch {
	case words["email"]:
		return kindEmail
	case words["phone"] || words["mobile"] || words["cell"] || words["telephone"] || words["zip"] ||
		words["postcode"] || words["pin"] || words["number"] || words["id"] || words["code"]:
		return kindDigits
	case (words["date"] || words["day"]) && words["time"], words["datetime"], words["when"]:
		return kindDateTime
	case words["date"] || words["day"] || words["dob"] || words["birthday"]:
		return kindDate
	case words["time"] || words["hour"]:
		return kindTime
	case words["name"]:
		return kindName
	}
	return kindText
}

// scoreTools ranks tools by how well the utterance's concepts match them.
// A concept counts most in the tool's name, less in its description and
// least in its parameters, and is weighed by its rarity among the offered
// tools (so "appointment", shared by book, cancel and reschedule tools,
// decides less than "cancel"). Name concepts the caller did not say cost a
// little, so "I need an appointment" prefers book_appointment to
// cancel_appointment. End-call tools are never chosen here: hanging up is
// decided by the ending rule alone.
func scoreTools(utterance string, tools []*toolSpec) (*toolSpec, float64) {
	user := conceptsOf(utterance)
	if len(user) == 0 {
		return nil, 0
	}
	df := make(map[string]int)
	n := 0
	for _, t := range tools {
		if t.isEnd {
			continue
		}
		n++
		seen := make(map[string]bool)
		for _, m := range []map[string]bool{t.nameC, t.descC, t.paramC} {
			for c := range m {
				if !seen[c] {
					seen[c] = true
					df[c]++
				}
			}
		}
	}
	var best *toolSpec
	bestScore, second := 0.0, 0.0
	for _, t := range tools {
		if t.isEnd {
			continue
		}
		s := 0.0
		for c := range user {
			idf := 1 + math.Log(float64(n)/float64(max(df[c], 1)))
			switch {
			case t.nameC[c]:
				s += 3 * idf
			case t.descC[c]:
				s += 1.5 * idf
			case t.paramC[c]:
				s += 0.5 * idf
			}
		}
		if s == 0 {
			continue
		}
		for c := range t.nameC {
			if !user[c] {
				s -= 0.5
			}
		}
		switch {
		case s > bestScore:
			best, bestScore, second = t, s, bestScore
		case s > second:
			second = s
		}
	}
	if best == nil || bestScore < intentThreshold || bestScore-second < 0.25 {
		return nil, bestScore
	}
	return best, bestScore
}

// intentThreshold is one description-level match of a common word: a
// parameter name alone ("my name is…") must not start a tool.
const intentThreshold = 1.5
