package ingest

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/zeebo/xxh3"
)

// Chunk is one searchable piece of a document.
type Chunk struct {
	// ID is DocumentID#Ordinal: stable, and unique within a collection.
	ID         string `json:"id"`
	DocumentID string `json:"documentId"`
	Ordinal    int    `json:"ordinal"`
	// Title is the nearest heading above the text, else the document title.
	Title string `json:"title"`
	Text  string `json:"text"`
	// Hash is the xxh3 hash of the normalized text, for deduplication.
	Hash uint64 `json:"hash"`
}

// ChunkID is the ID of the ordinal-th chunk of a document.
func ChunkID(documentID string, ordinal int) string {
	return documentID + "#" + strconv.Itoa(ordinal)
}

// Chunker cuts extracted text into chunks.
type Chunker struct {
	// Size is the target chunk length in characters (bytes of UTF-8 text);
	// a chunk exceeds it only by less than one word. Default 800.
	Size int
	// Overlap is how much of the end of a chunk is repeated at the start of
	// the next one in the same section, so that a sentence cut from its
	// context is still found with it. Default 15 % of Size.
	Overlap int
}

func (c Chunker) sizes() (size, overlap int) {
	size, overlap = c.Size, c.Overlap
	if size <= 0 {
		size = 800
	}
	if size < 32 {
		size = 32
	}
	if overlap <= 0 {
		overlap = size * 15 / 100
	}
	if overlap > size/2 {
		overlap = size / 2
	}
	return size, overlap
}

// unit is a sentence (or a piece of an overlong one); para marks the first
// unit of a paragraph, which is joined with a blank line instead of a space.
type unit struct {
	text string
	para bool
}

// Chunk cuts t into chunks for document documentID. Chunks never span
// sections, so each keeps the heading it sits under. Identical chunks
// within the document are kept once.
func (c Chunker) Chunk(documentID, docTitle string, t Text) []Chunk {
	size, overlap := c.sizes()
	var out []Chunk
	seen := map[uint64]bool{}
	emit := func(title string, units []unit) {
		var b strings.Builder
		for i, u := range units {
			if i > 0 {
				if u.para {
					b.WriteString("\n\n")
				} else {
					b.WriteByte(' ')
				}
			}
			b.WriteString(u.text)
		}
		text := b.String()
		h := Hash(text)
		if text == "" || seen[h] {
			return
		}
		seen[h] = true
		out = append(out, Chunk{
			ID: ChunkID(documentID, len(out)), DocumentID: documentID, Ordinal: len(out),
			Title: title, Text: text, Hash: h,
		})
	}
	for _, s := range t.Sections {
		title := s.Heading
		if title == "" {
			title = firstNonEmpty(t.Title, docTitle)
		}
		units := splitUnits(s.Text, size)
		var cur []unit
		curLen := 0
		fresh := false // cur holds a unit not yet in any emitted chunk
		for _, u := range units {
			if fresh && curLen+len(u.text) > size {
				emit(title, cur)
				cur, curLen = tail(cur, overlap)
			}
			cur = append(cur, u)
			curLen += len(u.text) + 1
			fresh = true
		}
		if fresh {
			emit(title, cur)
		}
	}
	return out
}

// tail returns the end of cur, at most overlap bytes long, as the start of
// the next chunk: whole trailing sentences when they fit, else the trailing
// words of the last sentence.
func tail(cur []unit, overlap int) ([]unit, int) {
	n, length := 0, 0
	for i := len(cur) - 1; i >= 0; i-- {
		l := len(cur[i].text) + 1
		if length+l > overlap {
			break
		}
		length += l
		n++
	}
	if n == len(cur) {
		// Never carry a whole chunk over: the next chunk must move on.
		n, length = len(cur)-1, 0
		for _, u := range cur[1:] {
			length += len(u.text) + 1
		}
	}
	if n == 0 {
		last := cur[len(cur)-1].text
		words := strings.Fields(last)
		k := len(words)
		size := 0
		for k > 0 && size+len(words[k-1])+1 <= overlap {
			size += len(words[k-1]) + 1
			k--
		}
		if k == 0 || k == len(words) {
			return nil, 0
		}
		piece := strings.Join(words[k:], " ")
		return append(make([]unit, 0, 8), unit{text: piece}), len(piece) + 1
	}
	next := make([]unit, n, n+8)
	copy(next, cur[len(cur)-n:])
	next[0].para = false
	return next, length
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// splitUnits splits text into sentences, and sentences longer than size
// into word-bounded pieces.
func splitUnits(text string, size int) []unit {
	var out []unit
	for _, para := range strings.Split(text, "\n\n") {
		first := true
		for _, line := range strings.Split(para, "\n") {
			for _, s := range sentences(line) {
				for _, piece := range pieces(s, size) {
					out = append(out, unit{text: piece, para: first})
					first = false
				}
			}
		}
	}
	return out
}

// sentences splits a line after ". ", "? ", "! " (and their closing quotes
// or brackets) when the next word starts with an upper-case letter or a
// digit, which keeps "e.g. this" and "3.5 kg" whole.
func sentences(line string) []string {
	line = strings.TrimSpace(line)
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		j := i + 1
		for j < len(line) && strings.IndexByte(`"')]`, line[j]) >= 0 {
			j++
		}
		if j >= len(line) || line[j] != ' ' {
			continue
		}
		k := j
		for k < len(line) && line[k] == ' ' {
			k++
		}
		if k < len(line) {
			r := rune(line[k])
			if !(unicode.IsUpper(r) || unicode.IsDigit(r) || r >= 0x80) {
				continue
			}
		}
		out = append(out, strings.TrimSpace(line[start:j]))
		start = k
		i = k - 1
	}
	if rest := strings.TrimSpace(line[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// pieces cuts s at word boundaries into parts of at most size bytes; a
// single word longer than size is cut at a UTF-8 boundary.
func pieces(s string, size int) []string {
	if len(s) <= size {
		return []string{s}
	}
	var out []string
	for len(s) > size {
		cut := strings.LastIndexByte(s[:size], ' ')
		if cut <= 0 {
			cut = size
			for cut > 0 && !utf8Start(s[cut]) {
				cut--
			}
			if cut == 0 {
				cut = size
			}
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Hash is the content hash used to deduplicate chunks: xxh3 of the text
// with case and whitespace folded, so that reflowed copies match.
func Hash(text string) uint64 {
	return xxh3.HashString(strings.ToLower(strings.Join(strings.Fields(text), " ")))
}
