package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// ErrFetch is returned when a URL cannot be fetched or its answer is not
// usable (an error status, a body over the size limit). It is wrapped with
// the reason; errors of the HTTP client (such as egress.ErrForbiddenAddress)
// stay reachable through errors.Is.
var ErrFetch = errors.New("ingest: fetch failed")

// Fetcher downloads documents named by URL.
type Fetcher struct {
	// Client must be a guarded client (egress.Guard.Client): the URLs are
	// user-given.
	Client *http.Client
	// MaxBytes caps a response body. Default 10 MiB.
	MaxBytes int64
	// Timeout bounds one fetch. Default 20 s.
	Timeout time.Duration
}

// Fetch downloads url and extracts its text according to the answer's
// Content-Type: HTML, Markdown, PDF, or plain text.
func (f *Fetcher) Fetch(ctx context.Context, url string) (Text, error) {
	maxBytes, timeout := f.MaxBytes, f.Timeout
	if maxBytes <= 0 {
		maxBytes = 10 << 20
	}
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Text{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "text/html, text/markdown, text/plain, application/pdf;q=0.9, */*;q=0.1")
	req.Header.Set("User-Agent", "switchboard-ingest")
	res, err := f.Client.Do(req)
	if err != nil {
		return Text{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return Text{}, fmt.Errorf("%w: status %d", ErrFetch, res.StatusCode)
	}
	if res.ContentLength > maxBytes {
		return Text{}, fmt.Errorf("%w: body of %d bytes is over the %d byte limit", ErrFetch, res.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBytes+1))
	if err != nil {
		return Text{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	if int64(len(body)) > maxBytes {
		return Text{}, fmt.Errorf("%w: body is over the %d byte limit", ErrFetch, maxBytes)
	}
	return Extract(ContentKind(res.Header.Get("Content-Type"), url), body)
}

// ContentKind maps a Content-Type (falling back on the URL's extension) to
// a document type: "html", "markdown", "pdf" or "text", or "" when the
// content is not text.
func ContentKind(contentType, url string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "text/html" || mt == "application/xhtml+xml":
		return "html"
	case mt == "text/markdown" || mt == "text/x-markdown":
		return "markdown"
	case mt == "application/pdf":
		return "pdf"
	case strings.HasPrefix(mt, "text/"):
		if strings.HasSuffix(strings.ToLower(url), ".md") {
			return "markdown"
		}
		return "text"
	case mt == "" || mt == "application/octet-stream":
		lower := strings.ToLower(url)
		switch {
		case strings.HasSuffix(lower, ".pdf"):
			return "pdf"
		case strings.HasSuffix(lower, ".md"):
			return "markdown"
		case strings.HasSuffix(lower, ".html"), strings.HasSuffix(lower, ".htm"):
			return "html"
		}
	}
	return ""
}

// Extract reads content of the given document type ("text", "markdown",
// "html" or "pdf"; PDF content is the raw bytes).
func Extract(kind string, content []byte) (Text, error) {
	var t Text
	switch kind {
	case "text":
		t = FromPlain(string(content))
	case "markdown":
		t = FromMarkdown(string(content))
	case "html":
		var err error
		if t, err = FromHTML(bytes.NewReader(content)); err != nil {
			return Text{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
	case "pdf":
		return FromPDF(content)
	default:
		return Text{}, ErrUnsupported
	}
	if t.empty() {
		return Text{}, fmt.Errorf("%w: no text", ErrUnreadable)
	}
	return t, nil
}
