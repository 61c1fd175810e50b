package stt

import (
	"math"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"case and punctuation", "Hello, World!", []string{"hello", "world"}},
		{"apostrophe kept", "I don't know.", []string{"i", "don't", "know"}},
		{"curly apostrophe", "it\u2019s fine", []string{"it's", "fine"}},
		{"quotes stripped", "'quoted' words", []string{"quoted", "words"}},
		{"hyphen splits", "twenty-five", []string{"twenty", "five"}},
		{"spoken numbers untouched", "four five six", []string{"four", "five", "six"}},
		{"digits untouched", "room 42.", []string{"room", "42"}},
		{"decimal kept", "pay 4.50, please", []string{"pay", "4.50", "please"}},
		{"thousands kept", "1,000 dollars", []string{"1,000", "dollars"}},
		{"whitespace runs", "  a \t b\n", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWER(t *testing.T) {
	tests := []struct {
		name     string
		ref, hyp string
		want     float64
	}{
		{"identical", "book an appointment", "book an appointment", 0},
		{"normalised equal", "Book an appointment.", "book an APPOINTMENT", 0},
		{"one substitution", "cancel my order", "cancel my border", 1.0 / 3},
		{"one deletion", "cancel my order", "cancel order", 1.0 / 3},
		{"one insertion", "cancel my order", "cancel my the order", 1.0 / 3},
		{"all wrong", "yes", "no", 1},
		{"insertions exceed one", "yes", "no no no", 3},
		{"empty hyp", "four five six", "", 1},
		{"both empty", "", "", 0},
		{"empty ref", "", "hello", 1},
		{"digits differ from words", "four", "4", 1},
		{"mixed", "my account number is four five six seven", "my count number is for five six seven", 2.0 / 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WER(tt.ref, tt.hyp); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("WER(%q, %q) = %v, want %v", tt.ref, tt.hyp, got, tt.want)
			}
		})
	}
}

func TestEditDistanceSymmetric(t *testing.T) {
	a := []string{"a", "b", "c", "d"}
	b := []string{"b", "x", "d", "e"}
	if d1, d2 := EditDistance(a, b), EditDistance(b, a); d1 != d2 || d1 != 3 {
		t.Errorf("EditDistance = %d / %d, want 3 both ways", d1, d2)
	}
}
