package toolrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/zeebo/xxh3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/switchboard-voice/switchboard/resource"
)

// ErrInvalidArguments reports arguments that do not satisfy the tool's
// parameters schema; it is wrapped by an *ArgumentsError.
var ErrInvalidArguments = errors.New("toolrun: invalid arguments")

// Schema is a compiled parameters schema.
type Schema struct {
	compiled *jsonschema.Schema
}

// Violation is one way arguments fail their schema. Path is the JSON path
// of the offending value ("" for the arguments object itself).
type Violation struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ArgumentsError lists every violation of one call's arguments.
type ArgumentsError struct {
	Violations []Violation
}

func (e *ArgumentsError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		if v.Path == "" {
			parts[i] = v.Message
		} else {
			parts[i] = v.Path + ": " + v.Message
		}
	}
	return "invalid arguments: " + strings.Join(parts, "; ")
}

func (e *ArgumentsError) Unwrap() error { return ErrInvalidArguments }

var printer = message.NewPrinter(language.English)

// schemaURL names the one schema a compiler holds; nothing else can be
// loaded (see refuseLoader).
const schemaURL = "urn:switchboard:tool-parameters"

// refuseLoader keeps a user's $ref from reading files or fetching URLs:
// a schema may refer only to itself.
type refuseLoader struct{}

func (refuseLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("external $ref %q is not supported; define it under $defs", u)
}

// CompileSchema checks raw as a JSON Schema (draft 2020-12 unless it names
// another with $schema) for a tool's arguments: it must be valid against
// its metaschema, describe an object, and refer to nothing outside itself.
// Problems are reported with paths inside the schema.
func CompileSchema(raw json.RawMessage) (*Schema, []resource.FieldError) {
	if s, ok := cache.get(raw); ok {
		return s, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, []resource.FieldError{{Message: "must be a JSON Schema object"}}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, []resource.FieldError{{Message: "must be a JSON Schema object"}}
	}
	if t, ok := obj["type"]; !ok || t != "object" {
		return nil, []resource.FieldError{{Field: "type", Message: `must be "object": a tool takes an object of named arguments`}}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, []resource.FieldError{{Message: "is not a usable JSON Schema"}}
	}
	compiled, err := c.Compile(schemaURL)
	if err != nil {
		return nil, schemaProblems(err)
	}
	s := &Schema{compiled: compiled}
	cache.put(raw, s)
	return s, nil
}

func schemaProblems(err error) []resource.FieldError {
	var sve *jsonschema.SchemaValidationError
	if errors.As(err, &sve) {
		var ve *jsonschema.ValidationError
		if errors.As(sve.Err, &ve) {
			var out []resource.FieldError
			for _, v := range leaves(ve) {
				out = append(out, resource.FieldError{Field: v.Path, Message: v.Message})
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	var load *jsonschema.LoadURLError
	if errors.As(err, &load) {
		return []resource.FieldError{{Field: "$ref", Message: load.Err.Error()}}
	}
	// Invalid regular expressions, unresolvable pointers and the like: the
	// library's message names the keyword; strip the internal URL.
	msg := strings.ReplaceAll(err.Error(), schemaURL, "schema")
	return []resource.FieldError{{Message: "is not a usable JSON Schema: " + msg}}
}

// leaves flattens a validation error tree into its most specific causes,
// in a stable order.
func leaves(ve *jsonschema.ValidationError) []Violation {
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, Violation{Path: strings.Join(e.InstanceLocation, "."), Message: e.ErrorKind.LocalizedString(printer)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.SortStableFunc(out, func(a, b Violation) int { return strings.Compare(a.Path, b.Path) })
	return slices.CompactFunc(out, func(a, b Violation) bool { return a == b })
}

// Check validates arguments (a JSON value) against the schema. The error
// is an *ArgumentsError listing every violation.
func (s *Schema) Check(args json.RawMessage) error {
	if len(bytes.TrimSpace(args)) == 0 {
		args = json.RawMessage(`{}`)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return &ArgumentsError{Violations: []Violation{{Message: "arguments are not valid JSON"}}}
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &ArgumentsError{Violations: leaves(ve)}
	}
	return &ArgumentsError{Violations: []Violation{{Message: err.Error()}}}
}

// schemaCache keeps compiled schemas by content hash: compiling checks the
// schema against its metaschema, which costs far more than validating a
// call. Schemas are immutable once compiled, so sharing them is safe.
type schemaCache struct {
	mu sync.Mutex // guards m
	m  map[xxh3.Uint128]*Schema
}

// maxCached bounds the cache; when full it starts over, which costs only
// recompilation.
const maxCached = 1024

var cache = &schemaCache{m: map[xxh3.Uint128]*Schema{}}

func (c *schemaCache) get(raw []byte) (*Schema, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[xxh3.Hash128(raw)]
	return s, ok
}

func (c *schemaCache) put(raw []byte, s *Schema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[xxh3.Hash128(raw)] = s
}
