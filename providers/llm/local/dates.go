package local

import (
	"strconv"
	"strings"
	"time"
)

var monthWords = map[string]time.Month{
	"january": time.January, "jan": time.January, "february": time.February, "feb": time.February,
	"march": time.March, "mar": time.March, "april": time.April, "apr": time.April, "may": time.May,
	"june": time.June, "jun": time.June, "july": time.July, "jul": time.July, "august": time.August,
	"aug": time.August, "september": time.September, "sep": time.September, "sept": time.September,
	"october": time.October, "oct": time.October, "november": time.November, "nov": time.November,
	"december": time.December, "dec": time.December,
}

// weekdayWords leaves out "sat" and "sun", which are ordinary words far
// more often than they are days.
var weekdayWords = map[string]time.Weekday{
	"monday": time.Monday, "mon": time.Monday, "tuesday": time.Tuesday, "tue": time.Tuesday, "tues": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday, "thursday": time.Thursday, "thu": time.Thursday,
	"thur": time.Thursday, "thurs": time.Thursday, "friday": time.Friday, "fri": time.Friday,
	"saturday": time.Saturday, "sunday": time.Sunday,
}

// parseDate finds a calendar date in the utterance, resolved against now
// (its location is the caller's). Understood: "today", "tomorrow", "the
// day after tomorrow", "in 3 days", "in two weeks", weekdays ("Monday",
// "next Friday", "this Tuesday"), "December 5th", "the fifth of December",
// "Dec 5 2026", "the 5th", ISO "2025-12-05" and US "12/5" or "12/5/2025".
//
// A weekday means its next occurrence after today ("this Monday" on a
// Monday is today; "next Monday" is the same as "Monday"). A month and day
// already past this year mean next year; "the 5th" already past this month
// means next month. With lenient set (the caller was just asked for a
// date) a bare day number "5" is accepted too.
func parseDate(s string, now time.Time, lenient bool) (time.Time, bool) {
	toks := tokenize(s)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t {
		case "today", "tonight":
			return today, true
		case "tomorrow", "tmrw", "tmr":
			if i >= 2 && toks[i-1] == "after" && toks[i-2] == "day" {
				return today.AddDate(0, 0, 2), true
			}
			return today.AddDate(0, 0, 1), true
		case "yesterday":
			return today.AddDate(0, 0, -1), true
		case "in":
			if d, ok := relativeDays(toks, i+1); ok {
				return today.AddDate(0, 0, d), true
			}
		case "next":
			if i+1 < len(toks) && toks[i+1] == "week" {
				return today.AddDate(0, 0, 7), true
			}
		}
		if d, ok := isoDate(t, today); ok {
			return d, true
		}
		if wd, ok := weekdayWords[t]; ok {
			minDays := 1
			if i > 0 && toks[i-1] == "this" {
				minDays = 0
			}
			days := (int(wd) - int(today.Weekday()) + 7) % 7
			if days < minDays {
				days += 7
			}
			return today.AddDate(0, 0, days), true
		}
		if m, ok := monthWords[t]; ok {
			// "December 5th", "Dec fifth 2026"
			if v, _, n := numberAt(toks, i+1); n > 0 && v >= 1 && v <= 31 && v == float64(int(v)) {
				year, hasYear := yearAt(toks, i+1+n)
				return monthDay(today, m, int(v), year, hasYear)
			}
			continue
		}
		// "5th of December", "the fifth of December", "5 December"
		if v, ord, n := numberAt(toks, i); n > 0 && v >= 1 && v <= 31 && v == float64(int(v)) {
			k := i + n
			if k < len(toks) && toks[k] == "of" {
				k++
			}
			if k < len(toks) {
				if m, ok := monthWords[toks[k]]; ok && (toks[k] != "may" || k > i+n || ord) {
					year, hasYear := yearAt(toks, k+1)
					return monthDay(today, m, int(v), year, hasYear)
				}
			}
			// "the 5th", "on the fifth"
			if ord && (i > 0 && toks[i-1] == "the" || lenient) || lenient && n == 1 && !isTimeWord(toks, i+n) {
				return dayOfMonth(today, int(v))
			}
		}
	}
	return time.Time{}, false
}

// isTimeWord reports whether toks[i] makes the number before it a time
// ("5 pm", "5 o'clock"), so a lenient date does not take it.
func isTimeWord(toks []string, i int) bool {
	if i >= len(toks) {
		return false
	}
	switch toks[i] {
	case "am", "pm", "oclock":
		return true
	}
	return false
}

func relativeDays(toks []string, i int) (int, bool) {
	v, _, n := numberAt(toks, i)
	if n == 0 {
		if i < len(toks) && toks[i] == "a" {
			v, n = 1, 1
		} else {
			return 0, false
		}
	}
	if i+n >= len(toks) || v < 0 || v > 400 {
		return 0, false
	}
	switch stem(toks[i+n]) {
	case "day":
		return int(v), true
	case "week":
		return int(v) * 7, true
	}
	return 0, false
}

func yearAt(toks []string, i int) (int, bool) {
	if i < len(toks) && len(toks[i]) == 4 && allDigits(toks[i]) {
		y, err := strconv.Atoi(toks[i])
		if err == nil && y >= 1900 && y <= 2200 {
			return y, true
		}
	}
	return 0, false
}

func monthDay(today time.Time, m time.Month, day, year int, hasYear bool) (time.Time, bool) {
	if !hasYear {
		year = today.Year()
	}
	d := time.Date(year, m, day, 0, 0, 0, 0, today.Location())
	if d.Month() != m {
		return time.Time{}, false // "February 30"
	}
	if !hasYear && d.Before(today) {
		d = time.Date(year+1, m, day, 0, 0, 0, 0, today.Location())
		if d.Month() != m {
			return time.Time{}, false
		}
	}
	return d, true
}

func dayOfMonth(today time.Time, day int) (time.Time, bool) {
	y, m := today.Year(), today.Month()
	if day < today.Day() {
		m++
	}
	d := time.Date(y, m, day, 0, 0, 0, 0, today.Location())
	if d.Day() != day {
		return time.Time{}, false // the 31st of a short month
	}
	return d, true
}

// isoDate reads "2025-12-05", "12/5" and "12/5/2025" (US order).
func isoDate(t string, today time.Time) (time.Time, bool) {
	if len(t) == 10 && t[4] == '-' && t[7] == '-' {
		d, err := time.ParseInLocation("2006-01-02", t, today.Location())
		if err == nil {
			return d, true
		}
		return time.Time{}, false
	}
	parts := strings.Split(t, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return time.Time{}, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		if !allDigits(p) || len(p) > 4 {
			return time.Time{}, false
		}
		nums[i], _ = strconv.Atoi(p) // all digits, at most 4
	}
	m, day := nums[0], nums[1]
	if m < 1 || m > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	if len(nums) == 3 {
		y := nums[2]
		if y < 100 {
			y += 2000
		}
		return monthDay(today, time.Month(m), day, y, true)
	}
	return monthDay(today, time.Month(m), day, 0, false)
}

// spokenDate formats a date the way an agent reads it out.
func spokenDate(d time.Time) string {
	return d.Format("Monday, January 2")
}
