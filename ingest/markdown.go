package ingest

import (
	"regexp"
	"strings"
)

// FromMarkdown extracts the text of a CommonMark-ish document. Headings
// (ATX "# x" and setext "x\n===") start sections and become their headings;
// the first top-level heading is also the title. Markup is stripped: link
// and image syntax keep their text, emphasis and code markers go, list and
// quote markers go, code blocks keep their content without fences, and
// thematic breaks and raw HTML tags disappear.
func FromMarkdown(s string) Text {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out Text
	cur := Section{}
	var body []string
	flush := func() {
		cur.Text = normalizeParagraphs(strings.Join(body, "\n"))
		if cur.Text != "" || cur.Heading != "" {
			out.Sections = append(out.Sections, cur)
		}
		body = body[:0]
	}
	heading := func(level int, text string) {
		flush()
		text = inlineMarkdown(text)
		cur = Section{Heading: text}
		if level == 1 && out.Title == "" {
			out.Title = text
		}
	}
	fence := ""
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
				body = append(body, "")
				continue
			}
			body = append(body, line)
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			body = append(body, "")
			continue
		}
		if level, text, ok := atxHeading(trimmed); ok {
			heading(level, text)
			continue
		}
		// A setext underline turns the paragraph line above it into a
		// heading; "---" under a blank line is a thematic break instead.
		if i+1 < len(lines) && trimmed != "" && !isListItem(trimmed) {
			next := strings.TrimSpace(lines[i+1])
			if next != "" && strings.Trim(next, "=") == "" {
				heading(1, trimmed)
				i++
				continue
			}
			if len(next) >= 2 && strings.Trim(next, "-") == "" && !strings.HasPrefix(trimmed, ">") {
				heading(2, trimmed)
				i++
				continue
			}
		}
		if isThematicBreak(trimmed) {
			body = append(body, "")
			continue
		}
		body = append(body, inlineMarkdown(blockPrefix(trimmed)))
	}
	flush()
	return out
}

func atxHeading(line string) (int, string, bool) {
	level := 0
	for level < len(line) && line[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(line) && line[level] != ' ' && line[level] != '\t') {
		return 0, "", false
	}
	text := strings.TrimSpace(line[level:])
	// A closing sequence of #s is not part of the heading.
	text = strings.TrimSpace(strings.TrimRight(text, "#"))
	return level, text, true
}

func isThematicBreak(line string) bool {
	if len(line) < 3 {
		return false
	}
	compact := strings.ReplaceAll(line, " ", "")
	for _, c := range "-*_" {
		if len(compact) >= 3 && strings.Trim(compact, string(c)) == "" {
			return true
		}
	}
	return false
}

var (
	listMarker    = regexp.MustCompile(`^([-*+]|\d{1,9}[.)])\s+`)
	taskMarker    = regexp.MustCompile(`^\[[ xX]\]\s+`)
	image         = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	link          = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	refLink       = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	autoLink      = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	htmlTag       = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
	strong        = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	emphasis      = regexp.MustCompile(`(^|[^\w*])[*_](\S(?:[^*_]*?\S)?)[*_]`)
	strike        = regexp.MustCompile(`~~(.+?)~~`)
	codeSpan      = regexp.MustCompile("`+([^`]*)`+")
	linkReference = regexp.MustCompile(`^\[[^\]]+\]:\s+\S+`)
)

func isListItem(line string) bool { return listMarker.MatchString(line) }

// blockPrefix strips quote, list and task markers from a line.
func blockPrefix(line string) string {
	for strings.HasPrefix(line, ">") {
		line = strings.TrimSpace(line[1:])
	}
	if linkReference.MatchString(line) {
		return ""
	}
	line = listMarker.ReplaceAllString(line, "")
	line = taskMarker.ReplaceAllString(line, "")
	// Table rows keep their cells as words.
	if strings.HasPrefix(line, "|") {
		if strings.Trim(line, "|-: ") == "" {
			return ""
		}
		line = strings.Join(strings.Fields(strings.ReplaceAll(line, "|", " ")), " ")
	}
	return line
}

// inlineMarkdown strips inline markup, keeping the text a reader sees.
func inlineMarkdown(s string) string {
	s = image.ReplaceAllString(s, "$1")
	s = link.ReplaceAllString(s, "$1")
	s = refLink.ReplaceAllString(s, "$1")
	s = autoLink.ReplaceAllString(s, "$1")
	s = codeSpan.ReplaceAllString(s, "$1")
	s = htmlTag.ReplaceAllString(s, "")
	s = strong.ReplaceAllString(s, "$2")
	s = emphasis.ReplaceAllString(s, "$1$2")
	s = strike.ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, `\`, "")
	return strings.TrimSpace(s)
}
