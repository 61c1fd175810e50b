package local

import (
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SystemPrompt is a system message split into the agent's own prompt and
// the blocks the session appends to it (see FormatSystemPrompt).
type SystemPrompt struct {
	Prompt    string
	Variables map[string]string
	Passages  []Passage
}

// FormatSystemPrompt is the convention by which a session hands an agent's
// variables and retrieved knowledge to any language model: the agent's
// prompt, then a <variables> block of "name: value" lines, then a
// <knowledge> block of <passage> elements. Cloud models read the tags as
// plain context; this engine reads them back with ParseSystemPrompt.
// Empty blocks are left out, variables are sorted by name, newlines in
// values become spaces, and a passage's text cannot close its element early.
func FormatSystemPrompt(prompt string, vars map[string]string, passages []Passage) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(prompt, "\n"))
	if len(vars) > 0 {
		keys := make([]string, 0, len(vars))
		for k := range vars {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("\n\n<variables>\n")
		for _, k := range keys {
			b.WriteString(oneLine(k))
			b.WriteString(": ")
			b.WriteString(oneLine(vars[k]))
			b.WriteByte('\n')
		}
		b.WriteString("</variables>")
	}
	if len(passages) > 0 {
		b.WriteString("\n\n<knowledge>\n")
		for _, p := range passages {
			b.WriteString(`<passage title="`)
			b.WriteString(html.EscapeString(oneLine(p.Title)))
			b.WriteString(`" document="`)
			b.WriteString(html.EscapeString(p.DocumentID))
			b.WriteString(`" score="`)
			b.WriteString(strconv.FormatFloat(p.Score, 'g', -1, 64))
			b.WriteString("\">\n")
			b.WriteString(strings.ReplaceAll(strings.TrimSpace(p.Text), "</passage>", "</ passage>"))
			b.WriteString("\n</passage>\n")
		}
		b.WriteString("</knowledge>")
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

var (
	variablesRE = regexp.MustCompile(`(?s)<variables>\n?(.*?)</variables>`)
	knowledgeRE = regexp.MustCompile(`(?s)<knowledge>\n?(.*?)</knowledge>`)
	passageRE   = regexp.MustCompile(`(?s)<passage title="([^"]*)" document="([^"]*)" score="([^"]*)">\n?(.*?)\n?</passage>`)
)

// ParseSystemPrompt undoes FormatSystemPrompt. Text outside the blocks is
// the prompt; a system message without blocks is all prompt.
func ParseSystemPrompt(system string) SystemPrompt {
	sp := SystemPrompt{Variables: map[string]string{}}
	rest := system
	for _, m := range variablesRE.FindAllStringSubmatch(system, -1) {
		for _, line := range strings.Split(m[1], "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if ok && strings.TrimSpace(k) != "" {
				sp.Variables[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		rest = strings.Replace(rest, m[0], "", 1)
	}
	for _, m := range knowledgeRE.FindAllStringSubmatch(system, -1) {
		for _, pm := range passageRE.FindAllStringSubmatch(m[1], -1) {
			score, _ := strconv.ParseFloat(pm[3], 64) // a bad score only loses ranking
			sp.Passages = append(sp.Passages, Passage{
				Title:      html.UnescapeString(pm[1]),
				DocumentID: html.UnescapeString(pm[2]),
				Score:      score,
				Text:       strings.ReplaceAll(pm[4], "</ passage>", "</passage>"),
			})
		}
		rest = strings.Replace(rest, m[0], "", 1)
	}
	sp.Prompt = strings.TrimSpace(rest)
	return sp
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// substitute fills {{name}} placeholders from vars. An unknown placeholder
// is dropped rather than read aloud as braces.
func substitute(s string, vars map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		return vars[name]
	})
	out = strings.Join(strings.Fields(out), " ")
	return strings.NewReplacer(" ,", ",", " .", ".", " !", "!", " ?", "?").Replace(out)
}
