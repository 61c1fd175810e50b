package local

import (
	"regexp"
	"strings"
)

// nameMarkers introduce a caller's name. The longer markers come first so
// "my name is" wins over "name is".
var nameMarkers = [][]string{
	{"my", "name", "is"}, {"my", "names"}, {"name", "is"}, {"names"}, {"this", "is"},
	{"call", "me"}, {"i", "am"}, {"im"},
}

// notNames are words that follow "I'm" or "this is" without being a name
// ("I'm calling", "this is for tomorrow", "I'm not sure").
var notNames = setOf(
	"not", "sorry", "fine", "good", "great", "ok", "okay", "well", "here", "just", "also", "still",
	"interested", "available", "free", "busy", "ready", "done", "new", "sure", "glad", "happy",
	"looking", "calling", "trying", "wondering", "having", "good", "bad", "very", "really", "so",
	"a", "an", "the", "for", "about", "to", "on", "in", "at", "my", "your", "it", "that", "what",
	"going", "gonna", "afraid", "confused", "hoping", "unable", "able", "back", "with", "from",
	"and", "but", "or", "i", "you", "we", "he", "she", "they", "is", "was", "yes", "no", "yeah",
	"please", "thanks", "thank", "hi", "hello", "hey", "um", "uh", "alright", "correct", "right",
)

// parseName finds a name introduced by "my name is", "this is", "I'm" and
// the like. With lenient set (the caller was just asked for their name) an
// answer of one to four plain words ("John Smith", "it's John") is taken
// as the name, and single spelled letters ("j o h n") are joined.
func parseName(s string, lenient bool) (string, bool) {
	toks := tokenize(s)
	for _, m := range nameMarkers {
		if k := phraseAt(toks, m...); k >= 0 {
			if name := nameWords(toks[k+len(m):]); len(name) > 0 {
				return titleCase(name), true
			}
		}
	}
	if !lenient {
		return "", false
	}
	var words []string
	for _, t := range toks {
		if nameFillers[t] {
			continue
		}
		if !isAlpha(t) {
			return "", false
		}
		words = append(words, t)
	}
	if len(words) >= 2 && allSingleLetters(words) {
		return titleCase([]string{strings.Join(words, "")}), true
	}
	if len(words) == 0 || len(words) > 4 {
		return "", false
	}
	for _, w := range words {
		if notNames[w] || stopwords[w] {
			return "", false
		}
	}
	return titleCase(words), true
}

// nameFillers are dropped from a bare answer to "what is your name?".
var nameFillers = setOf("its", "it", "is", "um", "uh", "er", "sure", "yes", "yeah", "ok", "okay", "my",
	"name", "names", "the", "thats", "well", "so", "oh", "hi", "hello", "please", "thanks", "thank", "you")

func allSingleLetters(ws []string) bool {
	for _, w := range ws {
		if len(w) != 1 {
			return false
		}
	}
	return true
}

// nameWords takes up to three name-like words from the start of toks.
func nameWords(toks []string) []string {
	var out []string
	for _, t := range toks {
		if len(out) == 3 || !isAlpha(t) || notNames[t] || stopwords[t] {
			break
		}
		if len(out) == 0 && (strings.HasSuffix(t, "ing") || strings.HasSuffix(t, "ly")) {
			break
		}
		out = append(out, t)
	}
	return out
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// parseEmail finds a written address, or a spoken one: "john dot smith at
// example dot com".
func parseEmail(s string) (string, bool) {
	if m := emailRE.FindString(s); m != "" {
		return strings.ToLower(strings.TrimRight(m, ".")), true
	}
	var b strings.Builder
	glue := false
	for i, t := range strings.Fields(strings.ToLower(s)) {
		t = strings.Trim(t, ",;!?")
		sym := ""
		switch t {
		case "at":
			sym = "@"
		case "dot", "period", "point":
			sym = "."
		case "underscore":
			sym = "_"
		case "dash", "hyphen":
			sym = "-"
		}
		switch {
		case sym != "":
			b.WriteString(sym)
			glue = true
		case glue:
			b.WriteString(t)
			glue = false
		default:
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t)
		}
	}
	// Gluing happened only around spoken symbols; the word before "at" is
	// still separated from its predecessor by a space, which bounds the
	// match on the left.
	if m := emailRE.FindString(b.String()); m != "" {
		return strings.TrimRight(m, "."), true
	}
	return "", false
}

var yesWords = setOf("yes", "yeah", "yep", "yup", "sure", "correct", "right", "absolutely", "definitely",
	"ok", "okay", "affirmative", "true", "certainly", "perfect", "great", "exactly", "yea", "please")
var noWords = setOf("no", "nope", "nah", "not", "dont", "negative", "false", "wrong", "incorrect", "never")

// parseBool reads a yes or no. The first decisive word wins, so "no,
// that's right" is a no; phrases like "go ahead" and "sounds good" count as
// yes.
func parseBool(s string) (val, ok bool) {
	toks := tokenize(s)
	if hasPhrase(toks, "go", "ahead") || hasPhrase(toks, "sounds", "good") || hasPhrase(toks, "of", "course") || hasPhrase(toks, "do", "it") {
		if !hasAny(toks, noWords) {
			return true, true
		}
	}
	for _, t := range toks {
		if noWords[t] {
			return false, true
		}
		if yesWords[t] {
			return true, true
		}
	}
	return false, false
}

// matchEnum picks the enum value the utterance names. Strictly, every word
// of the value must appear; leniently the value sharing most words wins,
// if exactly one does.
func matchEnum(s string, values []string, lenient bool) (string, bool) {
	have := make(map[string]bool)
	for _, t := range tokenize(s) {
		have[stem(t)] = true
	}
	best, bestScore, tie := "", 0.0, false
	for _, v := range values {
		vt := tokenize(splitIdentifier(v))
		if len(vt) == 0 {
			continue
		}
		hit := 0
		for _, t := range vt {
			if have[stem(t)] {
				hit++
			}
		}
		if hit == 0 || (!lenient && hit < len(vt)) {
			continue
		}
		score := float64(hit) / float64(len(vt))
		switch {
		case score > bestScore:
			best, bestScore, tie = v, score, false
		case score == bestScore:
			tie = true
		}
	}
	if best == "" || tie {
		return "", false
	}
	return best, true
}

// freeFillers are dropped from the start of a free-text answer.
var freeFillers = setOf("um", "uh", "er", "well", "so", "yes", "yeah", "sure", "ok", "okay", "its", "it",
	"is", "the", "oh", "i", "think", "just", "basically", "like")

// freeText is the answer to an open question with fillers trimmed from its
// start and punctuation from its end, in the caller's own casing.
func freeText(s string) (string, bool) {
	words := strings.Fields(s)
	for len(words) > 0 {
		w := strings.Trim(strings.ToLower(words[0]), ",.!?;:'’")
		w = strings.NewReplacer("'", "", "’", "").Replace(w)
		if !freeFillers[w] || len(words) == 1 {
			break
		}
		words = words[1:]
	}
	out := strings.TrimRight(strings.Join(words, " "), ".!?,; ")
	out = strings.TrimLeft(out, ",.;: ")
	if out == "" || strings.TrimSpace(out) == "" {
		return "", false
	}
	return out, true
}
