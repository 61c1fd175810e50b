package stt

import (
	"strings"
	"unicode"
)

// WER returns the word error rate of hyp against ref: (substitutions +
// deletions + insertions) / words in ref, after Normalize on both sides.
// It can exceed 1 when hyp has many insertions. An empty reference gives 0
// for an empty hypothesis and 1 for any other, so that "said something
// during silence" still counts as an error.
func WER(ref, hyp string) float64 {
	r := Normalize(ref)
	h := Normalize(hyp)
	if len(r) == 0 {
		if len(h) == 0 {
			return 0
		}
		return 1
	}
	return float64(EditDistance(r, h)) / float64(len(r))
}

// EditDistance is the Levenshtein distance between two word sequences, so
// that callers can pool errors over a corpus (sum of distances / sum of
// reference lengths) instead of averaging per-sentence rates.
func EditDistance(ref, hyp []string) int {
	// One row of the DP table is enough: each cell needs only its left,
	// upper and upper-left neighbours.
	prev := make([]int, len(hyp)+1)
	cur := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			cost := 1
			if ref[i-1] == hyp[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(hyp)]
}

// Normalize lower-cases text and splits it into words, dropping punctuation
// so that "Hello, world!" and "hello world" compare equal. Apostrophes inside
// a word are kept ("don't" is a dictionary word, "dont" is not) and hyphens
// split words ("twenty-five" is read "twenty five"). Numbers are not
// rewritten: "4" and "four" stay different words, because a transcript that
// writes digits where the caller spoke words (or the reverse) is a real
// difference for downstream slot filling.
func Normalize(s string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		w := strings.Trim(b.String(), "'")
		if w != "" {
			words = append(words, w)
		}
		b.Reset()
	}
	for _, c := range s {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			b.WriteRune(unicode.ToLower(c))
		case c == '\'' || c == '\u2019':
			b.WriteByte('\'')
		case c == '.' || c == ',':
			// "4.5" and "1,000" are one token; a trailing full stop is not.
			b.WriteRune(c)
		default:
			flushNumber(&b)
			flush()
		}
	}
	flushNumber(&b)
	flush()
	return words
}

// flushNumber strips '.' and ',' that are not between two digits, leaving
// decimal points and thousands separators alone.
func flushNumber(b *strings.Builder) {
	s := b.String()
	if !strings.ContainsAny(s, ".,") {
		return
	}
	rs := []rune(s)
	var out strings.Builder
	for i, c := range rs {
		if c == '.' || c == ',' {
			if i > 0 && i < len(rs)-1 && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]) {
				out.WriteRune(c)
			}
			continue
		}
		out.WriteRune(c)
	}
	b.Reset()
	b.WriteString(out.String())
}
