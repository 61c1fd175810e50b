package local

import (
	"testing"
	"time"
)

// now is Wednesday, 3 December 2025, 10:00 in New York: every date test
// resolves against it.
var now = time.Date(2025, time.December, 3, 10, 0, 0, 0, mustLoad("America/New_York"))

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("EST", -5*3600)
	}
	return loc
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"23", 23, true},
		{"twenty three", 23, true},
		{"twenty-three people", 23, true},
		{"one hundred and five", 105, true},
		{"a hundred", 100, true},
		{"two thousand twenty five", 2025, true},
		{"three thousand four hundred", 3400, true},
		{"a thousand", 1000, true},
		{"1,200 dollars", 1200, true},
		{"3.5", 3.5, true},
		{"party of four", 4, true},
		{"nineteen", 19, true},
		{"ninety nine", 99, true},
		{"zero", 0, true},
		{"twelve", 12, true},
		{"two million", 2000000, true},
		{"the fifth", 5, true},
		{"twenty first", 21, true},
		{"four five", 4, true}, // a digit string, not a cardinal: the first number only
		{"nineteen ninety", 19, true},
		{"no numbers here", 0, false},
		{"", 0, false},
		{"and", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseNumber(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseDigits(t *testing.T) {
	tests := []struct {
		in     string
		minLen int
		want   string
		ok     bool
	}{
		{"four five six seven", 1, "4567", true},
		{"five five five one two three four", 7, "5551234", true},
		{"555-123-4567", 7, "5551234567", true},
		{"(555) 123-4567", 7, "5551234567", true},
		{"my number is 555 123 4567 thanks", 7, "5551234567", true},
		{"+1 555 123 4567", 7, "+15551234567", true},
		{"four oh double seven", 1, "4077", true},
		{"triple five one two", 1, "55512", true},
		{"twenty three fifty", 1, "2350", true},
		{"five five five dash one two one two", 7, "5551212", true},
		{"nineteen eighty four", 1, "1984", true},
		{"one two three", 4, "", false},
		{"order 12 and then 345678", 4, "345678", true},
		{"nothing", 1, "", false},
		{"oh I forgot", 1, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDigits(tt.in, tt.minLen)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseDigits(%q, %d) = %q, %v; want %q, %v", tt.in, tt.minLen, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		lenient bool
		want    string // "" means no date
	}{
		{"today", false, "2025-12-03"},
		{"tomorrow", false, "2025-12-04"},
		{"how about tomorrow morning", false, "2025-12-04"},
		{"the day after tomorrow", false, "2025-12-05"},
		{"in 3 days", false, "2025-12-06"},
		{"in two weeks", false, "2025-12-17"},
		{"in a week", false, "2025-12-10"},
		{"next week", false, "2025-12-10"},
		{"Monday", false, "2025-12-08"},
		{"next Monday", false, "2025-12-08"},
		{"on friday", false, "2025-12-05"},
		{"this Wednesday", false, "2025-12-03"},
		{"wednesday", false, "2025-12-10"},
		{"December 5th", false, "2025-12-05"},
		{"december fifth", false, "2025-12-05"},
		{"December twenty third", false, "2025-12-23"},
		{"dec 31", false, "2025-12-31"},
		{"the fifth of December", false, "2025-12-05"},
		{"5 December", false, "2025-12-05"},
		{"December 1st", false, "2026-12-01"}, // already past this year
		{"January 10", false, "2026-01-10"},
		{"march 3rd 2027", false, "2027-03-03"},
		{"the 5th", false, "2025-12-05"},
		{"on the first", false, "2026-01-01"}, // past this month: next month
		{"the 31st", false, "2025-12-31"},
		{"2026-02-14", false, "2026-02-14"},
		{"12/24", false, "2025-12-24"},
		{"2/14/2026", false, "2026-02-14"},
		{"2/14/26", false, "2026-02-14"},
		{"February 30", false, ""},
		{"2026-02-30", false, ""},
		{"13/5", false, ""},
		{"5", false, ""},
		{"5", true, "2025-12-05"},
		{"fifth", true, "2025-12-05"},
		{"5 pm", true, ""},
		{"for 2 people", false, ""},
		{"may I book", false, ""},
		{"May 5th", false, "2026-05-05"},
		{"nothing here", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, ok := parseDate(tt.in, now, tt.lenient)
			got := ""
			if ok {
				got = d.Format("2006-01-02")
			}
			if got != tt.want {
				t.Fatalf("parseDate(%q, lenient=%v) = %q; want %q", tt.in, tt.lenient, got, tt.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		lenient bool
		want    string // "" means no time
	}{
		{"3pm", false, "15:00"},
		{"3 pm", false, "15:00"},
		{"3 p.m.", false, "15:00"},
		{"10am", false, "10:00"},
		{"12 am", false, "00:00"},
		{"12 pm", false, "12:00"},
		{"3:30 pm", false, "15:30"},
		{"9:05", false, "09:05"},
		{"14:45", false, "14:45"},
		{"ten thirty", false, "10:30"},
		{"two oh five", false, "14:05"},
		{"twelve forty five", false, "12:45"},
		{"three fifteen pm", false, "15:15"},
		{"half past two", false, "14:30"},
		{"quarter past nine", false, "09:15"},
		{"quarter to three", false, "14:45"},
		{"noon", false, "12:00"},
		{"midnight", false, "00:00"},
		{"at 10", false, "10:00"},
		{"around 4", false, "16:00"},
		{"10 o'clock", false, "10:00"},
		{"seven in the evening", false, "19:00"},
		{"8 in the morning", false, "08:00"},
		{"tomorrow at 3", false, "15:00"},
		{"December 5th at ten", false, "10:00"},
		{"10", false, ""},
		{"for 2 people", false, ""},
		{"the 5th", false, ""},
		{"555 1234", false, ""},
		{"10", true, "10:00"},
		{"2", true, "14:00"},
		{"ten", true, "10:00"},
		{"1030", true, "10:30"},
		{"twenty three", true, "23:00"},
		{"25:00", false, ""},
		{"nothing", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, ok := parseTime(tt.in, tt.lenient)
			got := ""
			if ok {
				got = c.String()
			}
			if got != tt.want {
				t.Fatalf("parseTime(%q, lenient=%v) = %q; want %q", tt.in, tt.lenient, got, tt.want)
			}
		})
	}
}

func TestClockSpoken(t *testing.T) {
	tests := []struct {
		c    clock
		want string
	}{
		{clock{15, 0}, "3 PM"}, {clock{10, 30}, "10:30 AM"}, {clock{12, 0}, "noon"},
		{clock{0, 0}, "midnight"}, {clock{0, 15}, "12:15 AM"}, {clock{12, 5}, "12:05 PM"},
	}
	for _, tt := range tests {
		if got := tt.c.spoken(); got != tt.want {
			t.Errorf("%v.spoken() = %q; want %q", tt.c, got, tt.want)
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		in      string
		lenient bool
		want    string
	}{
		{"my name is John Smith", false, "John Smith"},
		{"Hi, this is Maria calling about my appointment", false, "Maria"},
		{"I'm Ana", false, "Ana"},
		{"i am bob jones and i need help", false, "Bob Jones"},
		{"name's Lee", false, "Lee"},
		{"I'm calling to book", false, ""},
		{"I'm not sure", false, ""},
		{"this is for tomorrow", false, ""},
		{"John Smith", false, ""},
		{"John Smith", true, "John Smith"},
		{"it's Priya", true, "Priya"},
		{"sure, my name is Omar", true, "Omar"},
		{"j o h n", true, "John"},
		{"tomorrow at 3 please", true, ""},
		{"I don't know what you mean", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _ := parseName(tt.in, tt.lenient)
			if got != tt.want {
				t.Fatalf("parseName(%q, %v) = %q; want %q", tt.in, tt.lenient, got, tt.want)
			}
		})
	}
}

func TestParseEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"it's John.Smith@Example.com.", "john.smith@example.com"},
		{"john dot smith at example dot com", "john.smith@example.com"},
		{"my email is ana underscore b at mail dot co dot uk", "ana_b@mail.co.uk"},
		{"I'll be at home", ""},
		{"no email", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _ := parseEmail(tt.in)
			if got != tt.want {
				t.Fatalf("parseEmail(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      string
		val, ok bool
	}{
		{"yes", true, true}, {"yeah sure", true, true}, {"go ahead", true, true}, {"sounds good", true, true},
		{"that's correct", true, true}, {"no", false, true}, {"nope", false, true},
		{"no, that's right", false, true}, {"don't", false, true}, {"maybe later", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, ok := parseBool(tt.in)
			if v != tt.val || ok != tt.ok {
				t.Fatalf("parseBool(%q) = %v, %v; want %v, %v", tt.in, v, ok, tt.val, tt.ok)
			}
		})
	}
}

func TestMatchEnum(t *testing.T) {
	values := []string{"checkup", "cleaning", "root_canal"}
	tests := []struct {
		in      string
		lenient bool
		want    string
	}{
		{"I need a cleaning", false, "cleaning"},
		{"a root canal please", false, "root_canal"},
		{"the root one", false, ""},
		{"the root one", true, "root_canal"},
		{"something else", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _ := matchEnum(tt.in, values, tt.lenient)
			if got != tt.want {
				t.Fatalf("matchEnum(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	got := tokenize("That's 3pm, on 12/5 — call 555-1234 at 10:30 a.m.!")
	want := []string{"thats", "3", "pm", "on", "12/5", "call", "555-1234", "at", "10:30", "am"}
	if len(got) != len(want) {
		t.Fatalf("tokenize = %q; want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tokenize = %q; want %q", got, want)
		}
	}
}

func TestStemAgrees(t *testing.T) {
	groups := [][]string{
		{"book", "books", "booked", "booking"},
		{"schedule", "scheduled", "scheduling", "schedules"},
		{"cancel", "cancelled", "canceled", "cancels", "cancelling"},
		{"reserve", "reserved", "reserving"},
		{"appointment", "appointments"},
		{"stop", "stopped", "stopping"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			if stem(w) != stem(g[0]) {
				t.Errorf("stem(%q) = %q; stem(%q) = %q", w, stem(w), g[0], stem(g[0]))
			}
		}
	}
}
