package local

import (
	"strconv"
	"strings"
)

var unitWords = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}

var teenWords = map[string]int{
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}

var tensWords = map[string]int{
	"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

var ordinalWords = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
	"tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
	"sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

// number word classes, for the cardinal grammar in numberAt.
const (
	nkNone = iota
	nkUnit
	nkTeen
	nkTens
	nkHundred
	nkScale
)

// numberAt parses the number phrase that starts at toks[i]: a digit token
// ("23", "1,200", "3.5", "5th") or spoken words ("twenty three",
// "one hundred and five", "a thousand", "twenty first"). It returns the
// value, whether it was an ordinal, and how many tokens it used (0 when
// toks[i] starts no number).
//
// Spoken digit strings are not cardinals: "four five" stops after "four",
// so a caller reading out an ID is not summed (parseDigits reads those).
func numberAt(toks []string, i int) (val float64, ordinal bool, n int) {
	if i >= len(toks) {
		return 0, false, 0
	}
	if v, ord, ok := digitToken(toks[i]); ok {
		return v, ord, 1
	}
	total, cur := 0, 0
	last := nkNone
	j := i
	any := false
	for j < len(toks) {
		w := toks[j]
		if v, ok := unitWords[w]; ok {
			if last == nkUnit || last == nkTeen {
				break
			}
			cur += v
			last, any = nkUnit, true
			j++
			continue
		}
		if v, ok := teenWords[w]; ok {
			if last == nkUnit || last == nkTeen || last == nkTens {
				break
			}
			cur += v
			last, any = nkTeen, true
			j++
			continue
		}
		if v, ok := tensWords[w]; ok {
			if last == nkUnit || last == nkTeen || last == nkTens {
				break
			}
			cur += v
			last, any = nkTens, true
			j++
			continue
		}
		if v, ok := ordinalWords[w]; ok {
			if v < 10 && (last == nkUnit || last == nkTeen) || v >= 10 && last != nkNone && last != nkHundred && last != nkScale {
				break
			}
			cur += v
			j++
			return float64(total + cur), true, j - i
		}
		if w == "hundred" || w == "hundredth" {
			if last == nkHundred || (last == nkNone && !any) {
				break
			}
			if cur == 0 {
				cur = 1
			}
			cur *= 100
			last = nkHundred
			j++
			if w == "hundredth" {
				return float64(total + cur), true, j - i
			}
			continue
		}
		if w == "thousand" || w == "million" {
			if !any {
				break
			}
			scale := 1000
			if w == "million" {
				scale = 1000000
			}
			if cur == 0 {
				cur = 1
			}
			total += cur * scale
			cur = 0
			last = nkScale
			j++
			continue
		}
		// "a hundred", "a thousand"
		if w == "a" && !any && j+1 < len(toks) && (toks[j+1] == "hundred" || toks[j+1] == "thousand") {
			cur, any = 1, true
			last = nkUnit
			j++
			continue
		}
		// "one hundred and five"
		if w == "and" && (last == nkHundred || last == nkScale) && j+1 < len(toks) && isNumberWord(toks[j+1]) {
			last = nkScale // allow any small number next
			j++
			continue
		}
		break
	}
	if !any {
		return 0, false, 0
	}
	// A dangling "and" is not part of the number.
	for j > i && toks[j-1] == "and" {
		j--
	}
	return float64(total + cur), false, j - i
}

func isNumberWord(w string) bool {
	_, u := unitWords[w]
	_, t := teenWords[w]
	_, d := tensWords[w]
	_, o := ordinalWords[w]
	return u || t || d || o
}

// digitToken reads "23", "1,200", "3.5", "-4" and ordinals "5th", "22nd".
func digitToken(t string) (float64, bool, bool) {
	if t == "" {
		return 0, false, false
	}
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if strings.HasSuffix(t, suf) && allDigits(t[:len(t)-2]) {
			v, err := strconv.Atoi(t[:len(t)-2])
			if err != nil {
				return 0, false, false
			}
			return float64(v), true, true
		}
	}
	c := strings.ReplaceAll(t, ",", "")
	if c == "" || !(c[0] >= '0' && c[0] <= '9' || c[0] == '-' && len(c) > 1) {
		return 0, false, false
	}
	v, err := strconv.ParseFloat(c, 64)
	if err != nil {
		return 0, false, false
	}
	return v, false, true
}

// parseNumber returns the first number in the utterance.
func parseNumber(s string) (float64, bool) {
	toks := tokenize(s)
	for i := range toks {
		if v, _, n := numberAt(toks, i); n > 0 {
			return v, true
		}
	}
	return 0, false
}

// parseDigits reads a digit string the way callers say phone numbers and
// IDs: "555-123-4567", "five five five one two three four", "four oh
// double seven", "twenty three fifty", mixed with written digits. It
// returns the longest contiguous run that has at least minLen digits. A
// leading '+' is kept for E.164 numbers.
func parseDigits(s string, minLen int) (string, bool) {
	toks := tokenize(s)
	best := ""
	var run strings.Builder
	digitsIn := func(b *strings.Builder) int {
		n := 0
		for _, r := range b.String() {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		return n
	}
	end := func() {
		if digitsIn(&run) > len(strings.TrimPrefix(best, "+")) {
			best = run.String()
		}
		run.Reset()
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if d, ok := digitChars(t); ok {
			if strings.HasPrefix(d, "+") && run.Len() > 0 {
				end()
			}
			run.WriteString(d)
			continue
		}
		if v, ok := unitWords[t]; ok {
			run.WriteString(strconv.Itoa(v))
			continue
		}
		if (t == "oh" || t == "o") && (run.Len() > 0 || i+1 < len(toks) && isDigitish(toks[i+1])) {
			run.WriteByte('0')
			continue
		}
		if v, ok := teenWords[t]; ok {
			run.WriteString(strconv.Itoa(v))
			continue
		}
		if v, ok := tensWords[t]; ok {
			if i+1 < len(toks) {
				if u, ok := unitWords[toks[i+1]]; ok && u > 0 {
					run.WriteString(strconv.Itoa(v + u))
					i++
					continue
				}
			}
			run.WriteString(strconv.Itoa(v))
			continue
		}
		if (t == "hundred" || t == "thousand") && run.Len() > 0 {
			if t == "hundred" {
				run.WriteString("00")
			} else {
				run.WriteString("000")
			}
			continue
		}
		if (t == "double" || t == "triple") && i+1 < len(toks) {
			if u, ok := unitWords[toks[i+1]]; ok {
				n := 2
				if t == "triple" {
					n = 3
				}
				run.WriteString(strings.Repeat(strconv.Itoa(u), n))
				i++
				continue
			}
			if d, ok := digitChars(toks[i+1]); ok && len(d) == 1 {
				n := 2
				if t == "triple" {
					n = 3
				}
				run.WriteString(strings.Repeat(d, n))
				i++
				continue
			}
		}
		// Spoken separators inside a number do not end it.
		if (t == "dash" || t == "hyphen") && run.Len() > 0 {
			continue
		}
		end()
	}
	end()
	if n := len(strings.TrimPrefix(best, "+")); n == 0 || n < minLen {
		return "", false
	}
	return best, true
}

func isDigitish(t string) bool {
	if _, ok := digitChars(t); ok {
		return true
	}
	return isNumberWord(t)
}

// digitChars keeps the digits of a written number token ("555-1234",
// "(555)" was already split by tokenize, "+15551234567").
func digitChars(t string) (string, bool) {
	if t == "" {
		return "", false
	}
	var b strings.Builder
	for i, r := range t {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == '-' || r == '.' || r == ',' || r == '/' || r == ':':
		default:
			return "", false
		}
	}
	d := b.String()
	if strings.TrimPrefix(d, "+") == "" {
		return "", false
	}
	return d, true
}
