package arpa

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

var phrases = []string{
	"I would like to book an appointment for tomorrow at 10.",
	"Can you tell me your opening hours? I want to cancel my order.",
	"My account number is 4567",
	"book an appointment for Monday",
}

// Every context's distribution must sum to one over the vocabulary and
// </s>; this is what the backoff weights are for.
func TestDistributionsSumToOne(t *testing.T) {
	for _, order := range []int{1, 2, 3} {
		m, err := Build(phrases, Options{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		words := append(m.Vocabulary(), eos)
		contexts := [][]string{{bos}, {"book"}, {bos, "i"}, {"book", "an"}, {"zebra"}, {"my", "account"}, {"hours", "i"}}
		for _, h := range contexts {
			sum := 0.0
			for _, w := range words {
				sum += math.Pow(10, m.LogProb(h, w))
			}
			if math.Abs(sum-1) > 1e-6 {
				t.Errorf("order %d: Σ p(·|%q) = %v, want 1", order, h, sum)
			}
		}
	}
}

func TestSeenContinuationPreferred(t *testing.T) {
	m, err := Build(phrases, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := m.LogProb([]string{"book", "an"}, "appointment")
	unseen := m.LogProb([]string{"book", "an"}, "order")
	if seen <= unseen {
		t.Errorf("p(appointment|book an)=%v not above p(order|book an)=%v", seen, unseen)
	}
	if got := m.LogProb(nil, "zebra"); !math.IsInf(got, -1) {
		t.Errorf("out-of-vocabulary word has log prob %v, want -Inf", got)
	}
}

func TestSentences(t *testing.T) {
	known := func(w string) bool { return w != "xyzzy" }
	tests := []struct {
		name string
		in   string
		want [][]string
	}{
		{"split and normalise", "Hello there. How ARE you?", [][]string{{bos, "hello", "there", eos}, {bos, "how", "are", "you", eos}}},
		{"small number is a cardinal", "at 10 or 21", [][]string{{bos, "at", "ten", "or", "twenty", "one", eos}}},
		{"long number digit by digit", "number 4567", [][]string{{bos, "number", "four", "five", "six", "seven", eos}}},
		{"unknown word splits", "say xyzzy now", [][]string{{bos, "say"}, {bos, "now", eos}}},
		{"only unknown", "xyzzy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sentences([]string{tt.in}, known)
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Sentences(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWriteToDeterministicARPA(t *testing.T) {
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		m, err := Build(phrases, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n, err := m.WriteTo(buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo = %d, %v; buffer has %d", n, err, buf.Len())
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds from the same phrases differ")
	}
	s := a.String()
	for _, want := range []string{"\\data\\\n", "\n\\1-grams:\n", "\n\\3-grams:\n", "\\end\\\n", "\tbook an appointment\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("ARPA output lacks %q", want)
		}
	}
	// Header counts must match the sections.
	m, _ := Build(phrases, Options{})
	for k, g := range m.grams {
		hdr := "ngram " + string(rune('1'+k)) + "="
		if !strings.Contains(s, hdr) {
			t.Errorf("missing header %q", hdr)
		}
		section := strings.Split(strings.Split(s, "\\"+string(rune('1'+k))+"-grams:\n")[1], "\n\n")[0]
		if lines := strings.Count(section, "\n") + 1; lines != len(g) {
			t.Errorf("order %d: %d lines, header says %d", k+1, lines, len(g))
		}
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := Build([]string{"...", ""}, Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty phrases: err = %v, want ErrEmpty", err)
	}
	if _, err := Build(phrases, Options{Order: 4}); err == nil {
		t.Error("order 4 accepted")
	}
	if _, err := Build(phrases, Options{BackgroundWeight: 1}); err == nil {
		t.Error("background weight 1 accepted")
	}
}
