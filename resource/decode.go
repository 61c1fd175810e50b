package resource

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Decode parses a JSON object body into dst (a pointer to a struct) strictly:
// unknown fields, wrong types and malformed JSON all become FieldErrors, and
// every one of them is reported, not just the first. Fields absent from the
// body keep the values dst already holds, which is how updates merge onto a
// stored resource; an explicit null resets a field to its zero value.
func Decode(body []byte, dst any) *Problem {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return Invalid(FieldError{Field: "body", Message: "a JSON object is required"})
	}
	if !json.Valid(body) {
		return Invalid(FieldError{Field: "body", Message: "malformed JSON"})
	}
	if body[0] != '{' {
		return Invalid(FieldError{Field: "body", Message: "must be a JSON object"})
	}
	var errs []FieldError
	decodeValue(body, reflect.ValueOf(dst).Elem(), "", &errs)
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

func decodeValue(raw json.RawMessage, v reflect.Value, path string, errs *[]FieldError) {
	if bytes.Equal(raw, []byte("null")) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			elem.Elem().Set(v.Elem())
		}
		decodeValue(raw, elem.Elem(), path, errs)
		v.Set(elem)
		return
	case reflect.Struct:
		var fields map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
			*errs = append(*errs, FieldError{Field: fieldPath(path), Message: "must be an object"})
			return
		}
		index := jsonFields(v.Type())
		for _, name := range sortedKeys(fields) {
			i, ok := index[name]
			if !ok {
				*errs = append(*errs, FieldError{Field: join(path, name), Message: "unknown field"})
				continue
			}
			decodeValue(fields[name], v.Field(i), join(path, name), errs)
		}
		return
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break // []byte is base64 text, as encoding/json has it
		}
		var items []json.RawMessage
		if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
			*errs = append(*errs, FieldError{Field: fieldPath(path), Message: "must be an array"})
			return
		}
		out := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, item := range items {
			decodeValue(item, out.Index(i), path+"["+strconv.Itoa(i)+"]", errs)
		}
		v.Set(out)
		return
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Interface {
			break // free-form metadata: any JSON value is accepted
		}
		var items map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &items) != nil {
			*errs = append(*errs, FieldError{Field: fieldPath(path), Message: "must be an object"})
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), len(items))
		for _, k := range sortedKeys(items) {
			elem := reflect.New(v.Type().Elem()).Elem()
			decodeValue(items[k], elem, join(path, k), errs)
			out.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), elem)
		}
		v.Set(out)
		return
	}
	target := reflect.New(v.Type())
	if err := json.Unmarshal(raw, target.Interface()); err != nil {
		*errs = append(*errs, FieldError{Field: fieldPath(path), Message: "must be " + kindName(v.Type())})
		return
	}
	v.Set(target.Elem())
}

// jsonFields maps the JSON names of t's exported, tagged fields to indexes.
// Fields tagged "-" or with the option "readonly" cannot be set by clients.
func jsonFields(t reflect.Type) map[string]int {
	out := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" || strings.Contains(f.Tag.Get("api"), "readonly") {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out[name] = i
	}
	return out
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "a valid " + t.String()
	}
}

// sortedKeys gives a deterministic error order, so responses and tests are stable.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldPath(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// Validator is a request shape that checks its own values.
type Validator interface{ Validate() *Problem }

// DecodeValid decodes body onto dst and validates the result, reporting the
// decoding and the validation problems together. A field whose value could
// not be decoded is reported once, for its type.
func DecodeValid(body []byte, dst Validator) *Problem {
	p := Decode(body, dst)
	if p != nil && len(p.Details) == 1 && p.Details[0].Field == "body" {
		return p // not a JSON object: nothing to validate
	}
	var details []FieldError
	seen := map[string]bool{}
	if p != nil {
		details = p.Details
		for _, d := range details {
			seen[d.Field] = true
		}
	}
	if v := dst.Validate(); v != nil {
		for _, d := range v.Details {
			if !seen[d.Field] {
				details = append(details, d)
			}
		}
	}
	if len(details) > 0 {
		return Invalid(details...)
	}
	return nil
}
