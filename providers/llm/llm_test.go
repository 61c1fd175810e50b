package llm

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestNormalizeArguments(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"object kept", `{"a":1}`, `{"a":1}`},
		{"empty is empty object", ``, `{}`},
		{"blank is empty object", " \n", `{}`},
		{"not json is quoted", `{"a":`, `"{\"a\":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeArguments([]byte(tt.in))
			if string(got) != tt.want || !json.Valid(got) {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	ok := []Message{{Role: RoleUser, Content: "hi"}}
	tests := []struct {
		name string
		req  Request
		bad  bool
	}{
		{"fine", Request{Messages: ok, Tools: []Tool{{Name: "t"}}}, false},
		{"no messages", Request{}, true},
		{"nameless tool", Request{Messages: ok, Tools: []Tool{{}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRequest(tt.req)
			if tt.bad != errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
