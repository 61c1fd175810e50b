package tts

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"blank", "  \n\t ", nil},
		{"one without terminator", "hello there", []string{"hello there"}},
		{"two", "Hello there. How are you?", []string{"Hello there.", "How are you?"}},
		{"exclaim and ask", "Great! Shall we start? Yes.", []string{"Great!", "Shall we start?", "Yes."}},
		{"title", "Dr. Smith will see you now. Please wait.", []string{"Dr. Smith will see you now.", "Please wait."}},
		{"several titles", "Mr. and Mrs. Jones met Prof. Lee.", []string{"Mr. and Mrs. Jones met Prof. Lee."}},
		{"latin", "Bring ID, e.g. a passport. Thanks.", []string{"Bring ID, e.g. a passport.", "Thanks."}},
		{"latin capital after", "Use a browser, i.e. Firefox works.", []string{"Use a browser, i.e. Firefox works."}},
		{"decimal", "The rate is 3.5 percent. It may change.", []string{"The rate is 3.5 percent.", "It may change."}},
		{"decimal at end", "It costs 4.99. Okay?", []string{"It costs 4.99.", "Okay?"}},
		{"time", "Meet at 10:30. Bring snacks.", []string{"Meet at 10:30.", "Bring snacks."}},
		{"thousands", "We sold 1,000.5 units. Nice.", []string{"We sold 1,000.5 units.", "Nice."}},
		{"initials", "John F. Kennedy spoke. J. R. R. Tolkien wrote.", []string{"John F. Kennedy spoke.", "J. R. R. Tolkien wrote."}},
		{"inner dots then capital", "We open at 9 a.m. Please call.", []string{"We open at 9 a.m.", "Please call."}},
		{"inner dots then lowercase", "Open until 5 p.m. on weekdays.", []string{"Open until 5 p.m. on weekdays."}},
		{"lowercase continues", "Pens, paper, etc. are in the drawer.", []string{"Pens, paper, etc. are in the drawer."}},
		{"number abbreviation", "Room No. 5 is free. Go there.", []string{"Room No. 5 is free.", "Go there."}},
		{"list numbers", "1. Eggs\n2. Milk", []string{"1. Eggs", "2. Milk"}},
		{"number ends sentence", "The answer is 42. Next question.", []string{"The answer is 42.", "Next question."}},
		{"url", "Visit example.com today. Bye.", []string{"Visit example.com today.", "Bye."}},
		{"quote closes", `He said "stop." Then he left.`, []string{`He said "stop."`, "Then he left."}},
		{"bracket closes", "It works (mostly.) Try it.", []string{"It works (mostly.)", "Try it."}},
		{"ellipsis capital", "Well... I think so.", []string{"Well...", "I think so."}},
		{"ellipsis lowercase", "Well... maybe not.", []string{"Well... maybe not."}},
		{"unicode ellipsis", "Hmm… Right.", []string{"Hmm…", "Right."}},
		{"interrobang", "Really?! No way.", []string{"Really?!", "No way."}},
		{"line breaks", "First line\nSecond line\n\nThird", []string{"First line", "Second line", "Third"}},
		{"collapse spaces", "  Too   many    spaces.   Yes. ", []string{"Too many spaces.", "Yes."}},
		{"no space after", "Stop.Go.", []string{"Stop.Go."}},
		{"lone terminator", "Okay . Fine", []string{"Okay .", "Fine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sentences(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSentencesBreaksLongSentences(t *testing.T) {
	clause := "this clause goes on and on for a while without stopping"
	long := strings.Repeat(clause+", ", 10) + "and ends here."
	got := Sentences(long)
	if len(got) < 3 {
		t.Fatalf("got %d pieces, want the run-on sentence broken up: %q", len(got), got)
	}
	for _, s := range got {
		if n := utf8.RuneCountInString(s); n > MaxSentenceLen {
			t.Errorf("piece of %d characters exceeds %d: %q", n, MaxSentenceLen, s)
		}
	}
	for _, s := range got[:len(got)-1] {
		if !strings.HasSuffix(s, ",") {
			t.Errorf("piece %q not broken at a clause boundary", s)
		}
	}
	if joined := strings.Join(got, " "); joined != long {
		t.Errorf("pieces do not rejoin to the input:\n got %q\nwant %q", joined, long)
	}

	token := strings.Repeat("x", 2*MaxSentenceLen+7)
	got = Sentences(token)
	if strings.Join(got, "") != token || len(got) != 3 {
		t.Errorf("one huge token: got %d pieces", len(got))
	}
}

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{"plain", "Hello.", "Hello.", nil},
		{"trims", "  Hello.  ", "Hello.", nil},
		{"controls dropped", "Hel\x00lo\x07 there\x1b[0m", "Hello there[0m", nil},
		{"tab to space", "a\tb", "a b", nil},
		{"crlf to one newline", "a\r\nb\rc", "a\nb\nc", nil},
		{"zero width dropped", "a\u200bb\ufeff", "ab", nil},
		{"invalid utf8 repaired", "a\xffb", "a b", nil},
		{"empty", "", "", ErrEmptyText},
		{"only spaces", " \n\t", "", ErrEmptyText},
		{"only punctuation", "...!?", "", ErrEmptyText},
		{"only controls", "\x00\x01", "", ErrEmptyText},
		{"symbol is speakable", "$", "$", nil},
		{"at limit", strings.Repeat("a", MaxTextLen), strings.Repeat("a", MaxTextLen), nil},
		{"over limit", strings.Repeat("a", MaxTextLen+1), "", ErrTextTooLong},
		{"limit counts characters not bytes", strings.Repeat("é", MaxTextLen), strings.Repeat("é", MaxTextLen), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeText(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzSentences(f *testing.F) {
	for _, s := range []string{"Dr. Who. Yes!", "3.5 at 10:30. Ok", "a... b… C", "1. x\n2. y", "\"Hi.\" Bye."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToValidUTF8(s, " ") // callers pass NormalizeText's output
		got := Sentences(s)
		// Splitting only drops or collapses whitespace: the text survives.
		noSpace := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if noSpace(strings.Join(got, "")) != noSpace(s) {
			t.Fatalf("text changed: %q -> %q", s, got)
		}
		for _, p := range got {
			if p == "" || p != strings.TrimSpace(p) {
				t.Fatalf("bad piece %q", p)
			}
		}
	})
}
