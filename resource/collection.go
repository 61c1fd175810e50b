package resource

import (
	"fmt"
	"strings"
	"time"
)

// Collection is a knowledge base an agent answers from.
type Collection struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"-"`
	Name           string    `json:"name"`
	DocumentCount  int       `json:"documentCount"`
	ChunkCount     int       `json:"chunkCount"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Document is one source document of a collection.
type Document struct {
	ID           string    `json:"id"`
	CollectionID string    `json:"collectionId"`
	Title        string    `json:"title"`
	Type         string    `json:"type"`
	Content      string    `json:"content,omitempty"`
	URL          string    `json:"url,omitempty"`
	ContentHash  string    `json:"contentHash"`
	CreatedAt    time.Time `json:"createdAt"`
}

// DocumentTypes are the ingestible kinds of content.
var DocumentTypes = []string{"text", "markdown", "html", "pdf", "url"}

// CollectionSpec is the client-settable part of a Collection, with the
// documents to ingest.
type CollectionSpec struct {
	Name      string         `json:"name"`
	Documents []DocumentSpec `json:"documents"`
}

// DocumentSpec is one document to ingest. PDF content is base64.
type DocumentSpec struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Content string `json:"content"`
	URL     string `json:"url"`
}

const (
	maxDocuments  = 1000
	maxContentLen = 8 << 20
)

// Validate checks a collection request, prefixing fields with at.
func (s *CollectionSpec) Validate(at string) []FieldError {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: join(at, field), Message: fmt.Sprintf(format, args...)})
	}
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		bad("name", "is required")
	} else if len(s.Name) > maxNameLen {
		bad("name", "must be at most %d characters", maxNameLen)
	}
	if len(s.Documents) > maxDocuments {
		bad("documents", "must have at most %d entries", maxDocuments)
	}
	for i := range s.Documents {
		d := &s.Documents[i]
		field := fmt.Sprintf("documents[%d]", i)
		if d.Type == "" {
			d.Type = "text"
			if d.URL != "" && d.Content == "" {
				d.Type = "url"
			}
		}
		switch d.Type {
		case "url":
			if !strings.HasPrefix(d.URL, "http://") && !strings.HasPrefix(d.URL, "https://") {
				bad(field+".url", "must be an http or https URL")
			}
		case "text", "markdown", "html", "pdf":
			if strings.TrimSpace(d.Content) == "" {
				bad(field+".content", "is required")
			}
		default:
			bad(field+".type", "must be one of %s", strings.Join(DocumentTypes, ", "))
		}
		if len(d.Content) > maxContentLen {
			bad(field+".content", "must be at most %d bytes", maxContentLen)
		}
	}
	return errs
}
