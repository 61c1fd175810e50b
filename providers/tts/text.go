package tts

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeText validates and cleans text before synthesis: it refuses text
// longer than MaxTextLen characters (ErrTextTooLong) or with nothing to say
// (ErrEmptyText), repairs invalid UTF-8, turns tabs and carriage returns into
// spaces or line breaks, and drops other control and format characters.
// Engines are C libraries that were never meant to see hostile input, so
// everything reaching them goes through here first.
func NormalizeText(text string) (string, error) {
	if n := utf8.RuneCountInString(text); n > MaxTextLen {
		return "", fmt.Errorf("%w: %d characters, limit %d", ErrTextTooLong, n, MaxTextLen)
	}
	text = strings.ToValidUTF8(text, " ")
	var b strings.Builder
	b.Grow(len(text))
	speakable := false
	prevCR := false
	for _, r := range text {
		switch {
		case r == '\r':
			b.WriteByte('\n')
		case r == '\n':
			if !prevCR { // "\r\n" is one line break
				b.WriteByte('\n')
			}
		case r == '\t' || unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			// dropped: zero-width joiners, BOMs, escapes and the like
		default:
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSymbol(r) {
				speakable = true
			}
			b.WriteRune(r)
		}
		prevCR = r == '\r'
	}
	if !speakable {
		return "", ErrEmptyText
	}
	return strings.TrimSpace(b.String()), nil
}

// MaxSentenceLen is the length (in characters) above which Sentences breaks
// a sentence at a clause boundary, so that a run-on reply does not delay
// its first audio by the time it takes to synthesize all of it.
const MaxSentenceLen = 200

// Sentences splits text into sentences for sentence-by-sentence synthesis.
//
// It splits after '.', '!', '?' and '…' (with any closing quotes or
// brackets) when whitespace follows, and at line breaks. It does not split
// inside numbers ("3.5", "10:30", "1,000"), after titles and Latin
// abbreviations ("Dr.", "e.g."), after initials ("John F. Kennedy"), after a
// list number ("1. Eggs") or before a lowercase word ("etc. and more"). A
// sentence longer than MaxSentenceLen is broken at its last clause boundary
// (",", ";", ":", a dash) or space before the limit. Whitespace runs are
// collapsed and empty pieces dropped.
func Sentences(text string) []string {
	rs := []rune(text)
	var out []string
	start := 0
	flush := func(end int) {
		out = appendSentence(out, rs[start:end])
		start = end
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\n' {
			flush(i)
			continue
		}
		if !isTerminator(r) {
			continue
		}
		j := i
		for j+1 < len(rs) && isTerminator(rs[j+1]) {
			j++
		}
		for j+1 < len(rs) && isCloser(rs[j+1]) {
			j++
		}
		if j+1 < len(rs) && !unicode.IsSpace(rs[j+1]) {
			i = j // "3.5", "example.com", "e.g.x": not an end
			continue
		}
		if !endsSentence(rs, start, i, j) {
			i = j
			continue
		}
		flush(j + 1)
		i = j
	}
	flush(len(rs))
	return out
}

// endsSentence decides whether the terminator run rs[i..j] (followed by
// whitespace or the end of text) ends the sentence that began at start.
func endsSentence(rs []rune, start, i, j int) bool {
	next := nextWordStart(rs, j+1)
	if next < 0 {
		return true // end of text
	}
	onlyDots := true
	for _, r := range rs[i : j+1] {
		if r == '!' || r == '?' {
			onlyDots = false
		}
	}
	if !onlyDots {
		return true
	}
	if unicode.IsLower(rs[next]) {
		return false
	}
	if j > i || rs[i] != '.' {
		return true // "..." or "…" before a capital
	}
	word := wordBefore(rs, start, i)
	if word == "" {
		return true
	}
	lower := strings.ToLower(word)
	if neverEnds[lower] {
		return false
	}
	if beforeNumber[lower] && unicode.IsDigit(rs[next]) {
		return false
	}
	wr := []rune(word)
	if len(wr) == 1 && unicode.IsUpper(wr[0]) {
		return false // an initial
	}
	if isDigits(word) && strings.TrimSpace(string(rs[start:i])) == word {
		return false // a list number: "1. Eggs"
	}
	return true
}

// neverEnds are abbreviations that, followed by a period, are almost never
// the end of a sentence.
var neverEnds = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true,
	"jr": true, "st": true, "mt": true, "rev": true, "hon": true, "gen": true,
	"col": true, "capt": true, "lt": true, "sgt": true, "gov": true, "sen": true,
	"rep": true, "pres": true, "vs": true, "e.g": true, "i.e": true, "cf": true,
	"approx": true, "dept": true, "fig": true,
}

// beforeNumber are abbreviations that do not end a sentence when a number
// follows ("No. 5", "p. 12").
var beforeNumber = map[string]bool{
	"no": true, "nos": true, "p": true, "pp": true, "vol": true, "ch": true,
	"art": true, "sec": true, "ext": true, "apt": true, "rm": true,
}

func isTerminator(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»':
		return true
	}
	return false
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// wordBefore returns the token ending just before rs[i] (letters, digits and
// inner dots), without opening quotes or brackets.
func wordBefore(rs []rune, start, i int) string {
	k := i
	for k > start && (unicode.IsLetter(rs[k-1]) || unicode.IsDigit(rs[k-1]) || rs[k-1] == '.') {
		k--
	}
	return strings.TrimLeft(string(rs[k:i]), ".")
}

// nextWordStart returns the index of the first letter or digit at or after
// k, skipping spaces and opening punctuation, or -1 at the end of text.
func nextWordStart(rs []rune, k int) int {
	for ; k < len(rs); k++ {
		if unicode.IsLetter(rs[k]) || unicode.IsDigit(rs[k]) {
			return k
		}
		if rs[k] == '\n' {
			return -1 // a line break ends the sentence anyway
		}
	}
	return -1
}

// appendSentence collapses whitespace in s, breaks it if it is too long and
// appends the non-empty results.
func appendSentence(out []string, s []rune) []string {
	t := strings.Join(strings.Fields(string(s)), " ")
	for t != "" {
		rs := []rune(t)
		if len(rs) <= MaxSentenceLen {
			return append(out, t)
		}
		cut := clauseCut(rs)
		out = append(out, strings.TrimSpace(string(rs[:cut])))
		t = strings.TrimSpace(string(rs[cut:]))
	}
	return out
}

// clauseCut picks where to break an over-long sentence: after the last
// clause punctuation before MaxSentenceLen, else at the last space, else
// (one enormous token) at the limit itself.
func clauseCut(rs []rune) int {
	lastSpace := -1
	for k := MaxSentenceLen; k > MaxSentenceLen/4; k-- {
		if rs[k] != ' ' {
			continue
		}
		if lastSpace < 0 {
			lastSpace = k
		}
		switch rs[k-1] {
		case ',', ';', ':', '—', '–':
			return k
		}
		if k >= 2 && rs[k-1] == '-' && rs[k-2] == ' ' {
			return k
		}
	}
	if lastSpace > 0 {
		return lastSpace
	}
	return MaxSentenceLen
}
