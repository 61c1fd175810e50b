package arpa

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/switchboard-voice/switchboard/providers/stt"
)

// ErrEmpty is returned when no phrase contributes a known word.
var ErrEmpty = errors.New("arpa: no usable words in phrases")

const (
	bos = "<s>"
	eos = "</s>"
)

// Options tune Build. The zero value is usable: a trigram with estimated
// discounts and the built-in background words at weight 0.1.
type Options struct {
	// Order is the n-gram order, 1 to 3 (default 3).
	Order int
	// Discount is the absolute discount for every order; 0 estimates one
	// per order from count-of-counts, n1/(n1+2·n2), the usual choice.
	Discount float64
	// Background words get BackgroundWeight of the unigram mass, shared
	// evenly with the phrase vocabulary. Nil means DefaultBackground; an
	// empty non-nil slice means none.
	Background []string
	// BackgroundWeight in [0,1); 0 means 0.1.
	BackgroundWeight float64
	// Known reports whether the recogniser can pronounce a word; unknown
	// words are dropped and split the phrase, so no n-gram spans the gap.
	// Nil accepts every word.
	Known func(word string) bool
}

// DefaultBackground holds function words and small talk that callers use
// whatever the agent is about.
var DefaultBackground = strings.Fields(`
a about after again all also am an and any are as at be because been before
but by can could did do does don't for from get go going good have he her
here hi hello him his how i i'd i'll i'm if in is it it's just know like
me more my need no not now of oh okay on one or other our out please right
see she so some sorry that that's the their them then there they this to
two three four five six seven eight nine ten zero too up us want was we
well what when where which who why will with would yeah yes you your
thank thanks uh um hmm bye goodbye sure great fine
`)

// Model is a built language model; WriteTo emits it as ARPA text.
type Model struct {
	order int
	// grams[k] maps a (k+1)-gram, words joined by a space, to its log10
	// probability and log10 backoff weight.
	grams []map[string]entry
}

type entry struct {
	logp, bow float64
}

// Build estimates a model from phrases.
func Build(phrases []string, opt Options) (*Model, error) {
	if opt.Order == 0 {
		opt.Order = 3
	}
	if opt.Order < 1 || opt.Order > 3 {
		return nil, fmt.Errorf("arpa: order %d not in 1..3", opt.Order)
	}
	if opt.Discount < 0 || opt.Discount >= 1 {
		return nil, fmt.Errorf("arpa: discount %v not in [0,1)", opt.Discount)
	}
	if opt.Background == nil {
		opt.Background = DefaultBackground
	}
	if opt.BackgroundWeight == 0 {
		opt.BackgroundWeight = 0.1
	}
	if opt.BackgroundWeight < 0 || opt.BackgroundWeight >= 1 {
		return nil, fmt.Errorf("arpa: background weight %v not in [0,1)", opt.BackgroundWeight)
	}
	known := opt.Known
	if known == nil {
		known = func(string) bool { return true }
	}

	sents := Sentences(phrases, known)
	counts := make([]map[string]int, opt.Order)
	for k := range counts {
		counts[k] = map[string]int{}
	}
	for _, s := range sents {
		for k := 0; k < opt.Order; k++ {
			for i := 0; i+k < len(s); i++ {
				if k == 0 && s[i] == bos {
					continue // <s> is a context, never predicted
				}
				counts[k][strings.Join(s[i:i+k+1], " ")]++
			}
		}
	}
	if len(counts[0]) == 0 {
		return nil, ErrEmpty
	}

	m := &Model{order: opt.Order, grams: make([]map[string]entry, opt.Order)}
	m.unigrams(counts[0], opt.Background, opt.BackgroundWeight, known)
	for k := 1; k < opt.Order; k++ {
		d := opt.Discount
		if d == 0 {
			d = estimateDiscount(counts[k])
		}
		m.higher(k, counts[k], d)
		// The next order interpolates with this one through its backoff
		// path, so its weights must be known first.
		m.backoffs(k)
	}
	return m, nil
}

// unigrams mixes the phrase distribution with a uniform one over the whole
// vocabulary (phrase words and background words), so every word keeps a
// usable probability and the backoff path never reaches zero.
func (m *Model) unigrams(c map[string]int, background []string, w float64, known func(string) bool) {
	vocab := map[string]bool{}
	total := 0
	for word, n := range c {
		vocab[word] = true
		total += n
	}
	for _, word := range background {
		if known(word) {
			vocab[word] = true
		}
	}
	u := map[string]entry{}
	for word := range vocab {
		p := (1-w)*float64(c[word])/float64(total) + w/float64(len(vocab))
		u[word] = entry{logp: math.Log10(p)}
	}
	// <s> appears only as a context; -99 is ARPA's "never".
	u[bos] = entry{logp: -99}
	m.grams[0] = u
}

// higher fills order k+1 with interpolated absolute discounting:
// p(w|h) = max(c(hw)-D, 0)/c(h) + D·N1+(h·)/c(h) · p(w|h').
func (m *Model) higher(k int, c map[string]int, d float64) {
	hist := map[string]int{}
	types := map[string]int{}
	for g, n := range c {
		h := g[:strings.LastIndexByte(g, ' ')]
		hist[h] += n
		types[h]++
	}
	out := make(map[string]entry, len(c))
	for g, n := range c {
		sp := strings.LastIndexByte(g, ' ')
		h, w := g[:sp], g[sp+1:]
		ch := float64(hist[h])
		lower := math.Pow(10, m.logProb(k-1, dropFirst(h), w))
		p := (float64(n)-d)/ch + d*float64(types[h])/ch*lower
		out[g] = entry{logp: math.Log10(p)}
	}
	m.grams[k] = out
}

// logProb is the backoff lookup of log10 p(w | h) using orders 0..k only,
// where h has at most k words.
func (m *Model) logProb(k int, h, w string) float64 {
	if h == "" || k == 0 {
		return m.grams[0][w].logp
	}
	if e, ok := m.grams[k][h+" "+w]; ok {
		return e.logp
	}
	return m.grams[k-1][h].bow + m.logProb(k-1, dropFirst(h), w)
}

// backoffs sets the weight of each context of order k (stored on the
// k-word entries) so that its distribution sums to one:
// bow(h) = (1 - Σ_seen p(w|h)) / (1 - Σ_seen p(w|h')).
func (m *Model) backoffs(k int) {
	{
		seenP := map[string]float64{}
		seenLower := map[string]float64{}
		for g, e := range m.grams[k] {
			sp := strings.LastIndexByte(g, ' ')
			h, w := g[:sp], g[sp+1:]
			seenP[h] += math.Pow(10, e.logp)
			seenLower[h] += math.Pow(10, m.logProb(k-1, dropFirst(h), w))
		}
		for h, sp := range seenP {
			num := max(1-sp, 1e-9)
			den := max(1-seenLower[h], 1e-9)
			e := m.grams[k-1][h]
			e.bow = math.Log10(num / den)
			m.grams[k-1][h] = e
		}
	}
}

// estimateDiscount is n1/(n1+2·n2) from the count-of-counts, clamped to a
// sane range because tiny phrase lists make the estimate noisy.
func estimateDiscount(c map[string]int) float64 {
	var n1, n2 float64
	for _, n := range c {
		switch n {
		case 1:
			n1++
		case 2:
			n2++
		}
	}
	if n1 == 0 {
		return 0.5
	}
	return min(max(n1/(n1+2*n2), 0.3), 0.9)
}

func dropFirst(h string) string {
	if i := strings.IndexByte(h, ' '); i >= 0 {
		return h[i+1:]
	}
	return ""
}

// WriteTo writes the model in ARPA format, n-grams sorted for stable output
// (so that identical phrase lists give byte-identical files).
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	fmt.Fprintf(cw, "\\data\\\n")
	for k, g := range m.grams {
		fmt.Fprintf(cw, "ngram %d=%d\n", k+1, len(g))
	}
	for k, g := range m.grams {
		fmt.Fprintf(cw, "\n\\%d-grams:\n", k+1)
		keys := make([]string, 0, len(g))
		for key := range g {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			e := g[key]
			if k < m.order-1 {
				fmt.Fprintf(cw, "%s\t%s\t%s\n", fmtLog(e.logp), key, fmtLog(e.bow))
			} else {
				fmt.Fprintf(cw, "%s\t%s\n", fmtLog(e.logp), key)
			}
		}
	}
	fmt.Fprintf(cw, "\n\\end\\\n")
	if err := bw.Flush(); err != nil && cw.err == nil {
		cw.err = err
	}
	return cw.n, cw.err
}

func fmtLog(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// LogProb returns log10 p(word | history) under the model, history being
// the preceding words (only the last Order-1 are used); "<s>" may start it.
func (m *Model) LogProb(history []string, word string) float64 {
	if len(history) > m.order-1 {
		history = history[len(history)-(m.order-1):]
	}
	// Shorten the history until it is a known context, as a decoder would.
	for len(history) > 0 {
		if _, ok := m.grams[len(history)-1][strings.Join(history, " ")]; ok {
			break
		}
		history = history[1:]
	}
	if _, ok := m.grams[0][word]; !ok {
		return math.Inf(-1)
	}
	return m.logProb(len(history), strings.Join(history, " "), word)
}

// Vocabulary returns the model's words (without <s> and </s>), sorted.
func (m *Model) Vocabulary() []string {
	var v []string
	for w := range m.grams[0] {
		if w != bos && w != eos {
			v = append(v, w)
		}
	}
	slices.Sort(v)
	return v
}

// Sentences splits phrases at sentence punctuation and line breaks,
// normalises words (stt.Normalize), spells small numbers, and cuts at words
// that known rejects. Each sentence comes back wrapped in <s> … </s>.
// Numbers of one or two digits are read as cardinals ("10" → "ten"); longer
// ones digit by digit ("4567" → "four five six seven"), the way callers
// read out account and phone numbers.
func Sentences(phrases []string, known func(string) bool) [][]string {
	var out [][]string
	for _, p := range phrases {
		for _, part := range strings.FieldsFunc(p, func(r rune) bool {
			return r == '.' || r == '?' || r == '!' || r == ';' || r == ':' || r == '\n'
		}) {
			cur := []string{bos}
			flush := func(closed bool) {
				if len(cur) > 1 {
					if closed {
						cur = append(cur, eos)
					}
					out = append(out, cur)
				}
				cur = []string{bos}
			}
			for _, w := range stt.Normalize(part) {
				for _, sw := range spell(w) {
					if !known(sw) {
						// A gap: keep what came before as a fragment
						// (no </s>, the sentence did not end there).
						flush(false)
						continue
					}
					cur = append(cur, sw)
				}
			}
			flush(true)
		}
	}
	return out
}

var ones = strings.Fields("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen")
var tens = strings.Fields("_ _ twenty thirty forty fifty sixty seventy eighty ninety")

func spell(w string) []string {
	for _, r := range w {
		if !unicode.IsDigit(r) || r > '9' {
			return []string{w}
		}
	}
	if len(w) <= 2 {
		n, _ := strconv.Atoi(w)
		if n < 20 {
			return []string{ones[n]}
		}
		if n%10 == 0 {
			return []string{tens[n/10]}
		}
		return []string{tens[n/10], ones[n%10]}
	}
	out := make([]string, 0, len(w))
	for _, r := range w {
		out = append(out, ones[r-'0'])
	}
	return out
}
