package local

import (
	"strings"
	"unicode"
)

// tokenize lowercases s and splits it into words. Apostrophes inside words
// are dropped ("that's" → "thats", "o'clock" → "oclock") so contractions
// compare as one word whatever quote character STT or a keyboard produced.
// Separators between digits (':', '/', '.', ',', '-') are kept so that
// "10:30", "12/5", "2025-12-05", "1,200" and "555-1234" stay whole; a hyphen
// between letters splits ("twenty-three"). A trailing am/pm glued to digits
// ("3pm") is split off.
func tokenize(s string) []string {
	s = strings.ToLower(s)
	s = amPM.Replace(s)
	rs := []rune(s)
	var toks []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, string(cur))
			cur = cur[:0]
		}
	}
	isDigit := func(i int) bool { return i >= 0 && i < len(rs) && rs[i] >= '0' && rs[i] <= '9' }
	isLetter := func(i int) bool { return i >= 0 && i < len(rs) && unicode.IsLetter(rs[i]) }
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case r == '\'' || r == '’':
			if !(isLetter(i-1) && isLetter(i+1)) {
				flush()
			}
		case r == ':' || r == '/' || r == '.' || r == ',' || r == '-':
			if isDigit(i-1) && isDigit(i+1) {
				cur = append(cur, r)
			} else {
				flush()
			}
		case r == '+' && isDigit(i+1) && len(cur) == 0:
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if n := len(t); n > 2 && (strings.HasSuffix(t, "am") || strings.HasSuffix(t, "pm")) && allDigits(t[:n-2]) {
			out = append(out, t[:n-2], t[n-2:])
			continue
		}
		out = append(out, t)
	}
	return out
}

// amPM folds the dotted spellings of am/pm before tokenizing, which would
// otherwise split them into single letters.
var amPM = strings.NewReplacer("a.m.", "am", "p.m.", "pm", "a.m", "am", "p.m", "pm")

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// stem strips the common English inflections so that "booking", "booked"
// and "books" meet "book". It is deliberately crude: it only has to map
// both sides of a comparison to the same string, not produce real words.
func stem(w string) string {
	if s, ok := irregular[w]; ok {
		return s
	}
	if len(w) <= 3 || !isAlpha(w) {
		return w
	}
	b := w
	stripped := false
	switch {
	case strings.HasSuffix(b, "ies") && len(b) > 4:
		b = b[:len(b)-3] + "y"
	case strings.HasSuffix(b, "sses"):
		b = b[:len(b)-2]
	case strings.HasSuffix(b, "ing") && len(b) > 5:
		b, stripped = b[:len(b)-3], true
	case strings.HasSuffix(b, "ed") && len(b) > 4:
		b, stripped = b[:len(b)-2], true
	case strings.HasSuffix(b, "es") && len(b) > 4 && strings.ContainsAny(b[len(b)-3:len(b)-2], "sxzh"):
		b = b[:len(b)-2]
	case strings.HasSuffix(b, "s") && !strings.HasSuffix(b, "ss") && !strings.HasSuffix(b, "us") && !strings.HasSuffix(b, "is"):
		b = b[:len(b)-1]
	}
	if stripped && len(b) > 2 && b[len(b)-1] == b[len(b)-2] && !strings.ContainsRune("aeiouls", rune(b[len(b)-1])) {
		b = b[:len(b)-1] // "stopped" → "stop"
	}
	if stripped && strings.HasSuffix(b, "ll") {
		b = b[:len(b)-1] // "cancelled" → "cancel"
	}
	if len(b) > 3 && strings.HasSuffix(b, "e") {
		b = b[:len(b)-1] // "schedule" and "scheduling" both → "schedul"
	}
	return b
}

var irregular = map[string]string{
	"people": "person", "children": "child", "men": "man", "women": "woman",
	"this": "this", "yes": "yes", "bus": "bus", "does": "do", "has": "have",
}

func isAlpha(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// synonymGroups map words that mean the same thing to a caller to one
// concept, so "schedule a visit" matches a tool named book_appointment.
// The first word of each group names the concept.
var synonymGroups = [][]string{
	{"book", "schedule", "reserve", "reservation", "appointment", "booking", "slot", "visit"},
	{"cancel", "cancellation", "remove", "delete", "drop"},
	{"check", "status", "lookup", "look", "find", "track", "verify", "search"},
	{"transfer", "human", "person", "agent", "representative", "rep", "operator", "someone", "somebody", "connect", "staff", "live", "real"},
	{"change", "reschedule", "move", "modify", "update", "edit", "rebook"},
	{"order", "purchase", "buy"},
	{"pay", "payment", "bill", "billing", "invoice", "charge"},
	{"refund", "reimburse", "reimbursement"},
	{"price", "cost", "fee", "pricing", "quote"},
	{"message", "note", "voicemail"},
	{"callback", "ring"},
	{"phone", "mobile", "cell", "telephone"},
	{"email", "mail"},
	{"address", "location"},
	{"hour", "open", "opening", "closing"},
}

var concepts = func() map[string]string {
	m := make(map[string]string)
	for _, g := range synonymGroups {
		for _, w := range g {
			m[stem(w)] = g[0]
		}
	}
	return m
}()

// stopwords carry no intent; they are dropped before tools and passages are
// scored. "call" is here because callers say "I'm calling about…" and tools
// are named end_call and transfer_call.
var stopwords = setOf(
	"a", "an", "the", "i", "me", "my", "mine", "myself", "you", "your", "yours", "we", "us", "our",
	"he", "she", "it", "its", "they", "them", "their", "his", "her", "im", "ive", "id", "ill", "youre",
	"to", "for", "of", "in", "on", "at", "by", "with", "from", "into", "about", "as", "up", "out", "off",
	"and", "or", "but", "if", "so", "than", "then", "that", "thats", "this", "these", "those", "there",
	"is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "have", "has", "had",
	"can", "could", "would", "will", "shall", "should", "may", "might", "must", "want", "wanna", "need",
	"like", "please", "just", "some", "any", "get", "got", "go", "going", "let", "lets", "know", "tell",
	"make", "help", "also", "too", "very", "really", "um", "uh", "er", "hmm", "okay", "ok", "oh", "well",
	"hi", "hello", "hey", "yes", "yeah", "no", "not", "dont", "what", "whats", "when", "where", "how",
	"why", "who", "which", "here", "now", "today", "again", "thank", "thanks", "sure", "call", "calling",
	"caller", "user", "customer", "tool", "function", "given", "specified", "provided", "requested",
	"use", "used", "using", "new", "one", "all", "more", "much", "many", "someone's", "able",
)

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// conceptsOf returns the distinct concepts in text: stopwords dropped,
// words stemmed and mapped through the synonym table.
func conceptsOf(text string) map[string]bool {
	out := make(map[string]bool)
	for _, t := range tokenize(text) {
		if c := conceptOf(t); c != "" {
			out[c] = true
		}
	}
	return out
}

func conceptOf(tok string) string {
	if stopwords[tok] || tok == "" {
		return ""
	}
	s := stem(tok)
	if stopwords[s] {
		return ""
	}
	if c, ok := concepts[s]; ok {
		return c
	}
	return s
}

// splitIdentifier turns snake_case, kebab-case and camelCase names into
// space-separated words: "bookAppointment" → "book Appointment".
func splitIdentifier(name string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.':
			b.WriteByte(' ')
			prevLower = false
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			prevLower = false
		default:
			b.WriteRune(r)
			prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		}
	}
	return strings.ToLower(strings.Join(strings.Fields(b.String()), " "))
}

// hasPhrase reports whether the token sequence phrase occurs in toks.
func hasPhrase(toks []string, phrase ...string) bool {
	return phraseAt(toks, phrase...) >= 0
}

func phraseAt(toks []string, phrase ...string) int {
	if len(phrase) == 0 {
		return -1
	}
outer:
	for i := 0; i+len(phrase) <= len(toks); i++ {
		for j, p := range phrase {
			if toks[i+j] != p {
				continue outer
			}
		}
		return i
	}
	return -1
}

func hasAny(toks []string, words map[string]bool) bool {
	for _, t := range toks {
		if words[t] {
			return true
		}
	}
	return false
}

// titleCase capitalises each word for names spoken back and sent to tools.
func titleCase(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		r := []rune(w)
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		out[i] = string(r)
	}
	return strings.Join(out, " ")
}

func wordCount(s string) int { return len(strings.Fields(s)) }
