package local

import (
	"fmt"
	"strconv"
	"strings"
)

// clock is a time of day, 24-hour.
type clock struct{ hour, minute int }

func (c clock) String() string { return fmt.Sprintf("%02d:%02d", c.hour, c.minute) }

// spoken reads a time out: "3 PM", "10:30 AM", "noon".
func (c clock) spoken() string {
	switch {
	case c.hour == 12 && c.minute == 0:
		return "noon"
	case c.hour == 0 && c.minute == 0:
		return "midnight"
	}
	h, mer := c.hour, "AM"
	if h >= 12 {
		mer = "PM"
	}
	if h > 12 {
		h -= 12
	}
	if h == 0 {
		h = 12
	}
	if c.minute == 0 {
		return fmt.Sprintf("%d %s", h, mer)
	}
	return fmt.Sprintf("%d:%02d %s", h, c.minute, mer)
}

// parseTime finds a time of day in the utterance: "3pm", "3:30 p.m.",
// "ten thirty", "two oh five", "half past two", "quarter to three",
// "noon", "midnight", "at 10", "10 o'clock", "seven in the evening".
//
// Without am/pm or a part of the day, hours 1 to 6 are taken as afternoon
// and 7 to 11 as morning: callers booking with a business rarely mean
// 3 in the morning. Without lenient (the caller was not just asked for a
// time), a bare number is not a time unless something marks it as one:
// am/pm, o'clock, a colon, minutes after it, "at"/"around" before it, or a
// part of the day; otherwise "2 people" would be 2 PM.
func parseTime(s string, lenient bool) (clock, bool) {
	toks := tokenize(s)
	for i := 0; i < len(toks); i++ {
		switch toks[i] {
		case "noon", "midday", "lunchtime":
			return clock{12, 0}, true
		case "midnight":
			return clock{0, 0}, true
		case "half", "quarter":
			if i+2 < len(toks) {
				rel := toks[i+1]
				if h, n := hourAt(toks, i+2); n > 0 && (rel == "past" || rel == "after" || rel == "to" || rel == "til" || rel == "till") {
					m := 30
					if toks[i] == "quarter" {
						m = 15
					}
					if rel == "to" || rel == "til" || rel == "till" {
						if toks[i] == "half" {
							continue
						}
						h, m = (h+23)%24, 45
					}
					c, _ := resolveMeridiem(h, m, toks, i+2+n)
					return c, true
				}
			}
		}
		if c, ok := colonTime(toks[i]); ok {
			c, _ = resolveMeridiem(c.hour, c.minute, toks, i+1)
			return c, true
		}
		h, n := hourAt(toks, i)
		if n == 0 {
			continue
		}
		k := i + n
		m, mn := minuteAt(toks, k)
		k += mn
		if k < len(toks) && toks[k] == "oclock" {
			k++
			mn = 1
		}
		c, marked := resolveMeridiem(h, m, toks, k)
		cue := i > 0 && (toks[i-1] == "at" || toks[i-1] == "around")
		if marked || mn > 0 || cue || lenient {
			return c, true
		}
	}
	// A compact "1030" only when asked.
	if lenient {
		for _, t := range toks {
			if (len(t) == 3 || len(t) == 4) && allDigits(t) {
				v, _ := strconv.Atoi(t) // all digits, at most 4
				if h, m := v/100, v%100; h <= 23 && m <= 59 {
					c, _ := resolveMeridiem(h, m, nil, 0)
					return c, true
				}
			}
		}
	}
	return clock{}, false
}

// hourAt reads an hour 0–23 (digits or words, not an ordinal) at toks[i].
func hourAt(toks []string, i int) (int, int) {
	if i >= len(toks) {
		return 0, 0
	}
	// "ten thirty": numberAt stops after "ten", as the grammar refuses a
	// tens word after a teen, which is exactly the hour.
	v, ord, n := numberAt(toks, i)
	if n == 0 || ord || v != float64(int(v)) || v < 0 || v > 23 {
		return 0, 0
	}
	return int(v), n
}

// minuteAt reads the minutes after an hour: "thirty", "oh five", "15",
// "forty five".
func minuteAt(toks []string, i int) (int, int) {
	if i >= len(toks) {
		return 0, 0
	}
	if toks[i] == "oh" || toks[i] == "o" {
		if i+1 < len(toks) {
			if v, ok := unitWords[toks[i+1]]; ok {
				return v, 2
			}
		}
		return 0, 0
	}
	if len(toks[i]) == 2 && allDigits(toks[i]) {
		v, _ := strconv.Atoi(toks[i]) // two digits
		if v <= 59 {
			return v, 1
		}
		return 0, 0
	}
	if _, ok := unitWords[toks[i]]; ok {
		return 0, 0 // "three five" is not 3:05
	}
	v, ord, n := numberAt(toks, i)
	if n == 0 || ord || v < 10 || v > 59 || v != float64(int(v)) {
		return 0, 0
	}
	return int(v), n
}

// colonTime reads "10:30" and "9:05".
func colonTime(t string) (clock, bool) {
	h, m, ok := strings.Cut(t, ":")
	if !ok || len(m) != 2 || len(h) == 0 || len(h) > 2 || !allDigits(h) || !allDigits(m) {
		return clock{}, false
	}
	hh, _ := strconv.Atoi(h) // at most two digits
	mm, _ := strconv.Atoi(m)
	if hh > 23 || mm > 59 {
		return clock{}, false
	}
	return clock{hh, mm}, true
}

// resolveMeridiem applies am/pm or a part of the day found at toks[k], or
// the business-hours default. It reports whether a marker was found.
func resolveMeridiem(h, m int, toks []string, k int) (clock, bool) {
	mer := ""
	if k < len(toks) {
		switch toks[k] {
		case "am", "pm":
			mer = toks[k]
		case "tonight":
			mer = "pm"
		case "in", "this":
			for j := k + 1; j < len(toks) && j <= k+2; j++ {
				switch toks[j] {
				case "morning":
					mer = "am"
				case "afternoon", "evening", "night":
					mer = "pm"
				}
			}
		}
	}
	switch {
	case h > 12:
		return clock{h, m}, mer != ""
	case mer == "pm" && h < 12:
		return clock{h + 12, m}, true
	case mer == "am" && h == 12:
		return clock{0, m}, true
	case mer != "":
		return clock{h, m}, true
	case h >= 1 && h <= 6:
		return clock{h + 12, m}, false
	}
	return clock{h, m}, false
}
