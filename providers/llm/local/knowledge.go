package local

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Passage is one chunk of an agent's knowledge, as a collection search
// returns it.
type Passage struct {
	Title      string
	Text       string
	DocumentID string
	Score      float64
}

// Knowledge searches an agent's knowledge. The agent actor binds one to
// the agent's collection when it builds the agent's Engine.
type Knowledge interface {
	Search(ctx context.Context, query string, topK int) ([]Passage, error)
}

// Citations collects the passages an Engine answered from during one
// Stream call. It is the side channel for what llm.Event cannot carry: the
// chat endpoint creates one with WithCitations, streams, then reports
// Passages as the reply's citations.
type Citations struct {
	mu       sync.Mutex // guards passages: the caller may read while a stream runs elsewhere
	passages []Passage
}

type citationsKey struct{}

// WithCitations returns a context that makes the Engine record the
// passages it answers from, and the collector they are recorded in.
func WithCitations(ctx context.Context) (context.Context, *Citations) {
	c := &Citations{}
	return context.WithValue(ctx, citationsKey{}, c), c
}

// Passages returns a copy of the passages recorded so far.
func (c *Citations) Passages() []Passage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.passages)
}

func (c *Citations) add(p Passage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.passages = append(c.passages, p)
}

func citationsFrom(ctx context.Context) *Citations {
	c, _ := ctx.Value(citationsKey{}).(*Citations)
	return c
}

// staticKnowledge searches passages that came in the system prompt by
// concept overlap; the session already ranked them, this only re-scores.
type staticKnowledge []Passage

func (s staticKnowledge) Search(_ context.Context, query string, topK int) ([]Passage, error) {
	q := conceptsOf(query)
	type scored struct {
		p Passage
		n int
	}
	var hits []scored
	for _, p := range s {
		n := 0
		for c := range conceptsOf(p.Title + " " + p.Text) {
			if q[c] {
				n++
			}
		}
		if n > 0 {
			hits = append(hits, scored{p, n})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int { return b.n - a.n })
	out := make([]Passage, 0, min(topK, len(hits)))
	for i := 0; i < len(hits) && i < topK; i++ {
		out = append(out, hits[i].p)
	}
	return out, nil
}

// maxAnswerWords keeps a spoken answer to about fifteen seconds.
const maxAnswerWords = 40

// answerFrom picks the passage and sentences that answer query best. A
// sentence scores by the query concepts it contains; a passage by its best
// sentence plus half a point per concept in its title. The answer is the
// best sentence, joined by a nearly as relevant one from the same passage
// if both fit in maxAnswerWords, in their original order. minHits is the overlap needed
// to answer at all.
func answerFrom(query string, passages []Passage, minHits int) (string, Passage, bool) {
	q := conceptsOf(query)
	if len(q) == 0 {
		return "", Passage{}, false
	}
	type pick struct {
		sents      []string
		first, sec int
		score      float64
		hits       int
	}
	var best pick
	bestIdx := -1
	for i, p := range passages {
		sents := sentences(p.Text)
		pk := pick{sents: sents, first: -1, sec: -1}
		scores := make([]int, len(sents))
		for j, s := range sents {
			for c := range conceptsOf(s) {
				if q[c] {
					scores[j]++
				}
			}
			if pk.first < 0 || scores[j] > scores[pk.first] {
				pk.first = j
			}
		}
		if pk.first < 0 || scores[pk.first] == 0 {
			continue
		}
		// A second sentence must be nearly as relevant as the first (more
		// than half its score); among equals the nearest one reads best.
		for j := range sents {
			if j == pk.first || scores[j]*2 <= scores[pk.first] {
				continue
			}
			if pk.sec < 0 || scores[j] > scores[pk.sec] || scores[j] == scores[pk.sec] && abs(j-pk.first) < abs(pk.sec-pk.first) {
				pk.sec = j
			}
		}
		title := 0
		for c := range conceptsOf(p.Title) {
			if q[c] {
				title++
			}
		}
		pk.hits = scores[pk.first] + title
		pk.score = float64(scores[pk.first]) + 0.5*float64(title)
		if bestIdx < 0 || pk.score > best.score {
			best, bestIdx = pk, i
		}
	}
	if bestIdx < 0 || best.hits < minHits {
		return "", Passage{}, false
	}
	answer := best.sents[best.first]
	if best.sec >= 0 {
		a, b := best.first, best.sec
		if b < a {
			a, b = b, a
		}
		if both := best.sents[a] + " " + best.sents[b]; wordCount(both) <= maxAnswerWords {
			answer = both
		}
	}
	return trimWords(answer, maxAnswerWords), passages[bestIdx], true
}

var (
	markdownLinkRE = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	sentenceEndRE  = regexp.MustCompile(`([.!?])\s+`)
	listMarkerRE   = regexp.MustCompile(`^(\d+[.)]\s+|[#*>|-]+\s*)`)
)

// sentences splits passage text into sentences that read well aloud:
// markdown links keep their text, headings, bullets and emphasis marks go,
// and each line break ends a sentence (list items have no full stops).
func sentences(text string) []string {
	text = markdownLinkRE.ReplaceAllString(text, "$1")
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue // a heading names the topic; the passage title already scores it
		}
		line = strings.TrimSpace(listMarkerRE.ReplaceAllString(strings.TrimSpace(line), ""))
		line = strings.NewReplacer("**", "", "__", "", "`", "", "*", "").Replace(line)
		if line == "" {
			continue
		}
		line = sentenceEndRE.ReplaceAllString(line, "$1\n")
		for _, s := range strings.Split(line, "\n") {
			if s = strings.TrimSpace(s); s != "" {
				if !strings.ContainsAny(s[len(s)-1:], ".!?") {
					s += "."
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// trimWords cuts s to n words, ending it with a full stop.
func trimWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) <= n {
		return s
	}
	return strings.TrimRight(strings.Join(w[:n], " "), ",;:") + "."
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
