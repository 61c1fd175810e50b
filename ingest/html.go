package ingest

import (
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FromHTML extracts the readable text of an HTML page. Scripts, styles,
// navigation and other non-content elements are dropped; h1–h6 start
// sections; block elements (paragraphs, list items, table rows, divs)
// become paragraphs. The title is <title>, or else the first <h1>.
func FromHTML(r io.Reader) (Text, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return Text{}, err
	}
	w := htmlWalker{}
	w.walk(doc, 0)
	w.flush()
	if w.out.Title == "" {
		w.out.Title = w.firstH1
	}
	return w.out, nil
}

// maxHTMLDepth bounds recursion on pathological nesting; the parser itself
// caps the tree, this is belt and braces.
const maxHTMLDepth = 512

type htmlWalker struct {
	out     Text
	cur     Section
	para    strings.Builder // the paragraph being collected
	paras   []string
	firstH1 string
}

func (w *htmlWalker) endParagraph() {
	if t := strings.Join(strings.Fields(w.para.String()), " "); t != "" {
		w.paras = append(w.paras, t)
	}
	w.para.Reset()
}

func (w *htmlWalker) flush() {
	w.endParagraph()
	w.cur.Text = strings.Join(w.paras, "\n\n")
	if w.cur.Text != "" || w.cur.Heading != "" {
		w.out.Sections = append(w.out.Sections, w.cur)
	}
	w.paras = nil
	w.cur = Section{}
}

func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Nav, atom.Noscript, atom.Template, atom.Svg, atom.Iframe,
		atom.Object, atom.Canvas, atom.Button, atom.Select, atom.Form, atom.Head:
		return true
	}
	return false
}

func block(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd, atom.Tr, atom.Table,
		atom.Section, atom.Article, atom.Main, atom.Aside, atom.Header, atom.Footer, atom.Blockquote,
		atom.Pre, atom.Br, atom.Hr, atom.Figure, atom.Figcaption, atom.Address, atom.Details, atom.Summary,
		atom.Body:
		return true
	}
	return false
}

func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

func (w *htmlWalker) walk(n *html.Node, depth int) {
	if depth > maxHTMLDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		w.para.WriteString(n.Data)
		w.para.WriteByte(' ')
		return
	case html.ElementNode:
		if n.DataAtom == atom.Title && w.out.Title == "" {
			w.out.Title = strings.Join(strings.Fields(textOf(n, 0)), " ")
			return
		}
		if n.DataAtom == atom.Head {
			// Only the title is wanted from <head>.
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.DataAtom == atom.Title {
					w.walk(c, depth+1)
				}
			}
			return
		}
		if skipped(n.DataAtom) {
			return
		}
		if level := headingLevel(n.DataAtom); level > 0 {
			text := strings.Join(strings.Fields(textOf(n, 0)), " ")
			w.flush()
			w.cur.Heading = text
			if level == 1 && w.firstH1 == "" {
				w.firstH1 = text
			}
			return
		}
		if block(n.DataAtom) {
			w.endParagraph()
			defer w.endParagraph()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, depth+1)
	}
}

// textOf is the visible text under n.
func textOf(n *html.Node, depth int) string {
	if depth > maxHTMLDepth {
		return ""
	}
	if n.Type == html.TextNode {
		return n.Data
	}
	if n.Type == html.ElementNode && skipped(n.DataAtom) {
		return ""
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c, depth+1))
		b.WriteByte(' ')
	}
	return b.String()
}
