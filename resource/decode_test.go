package resource

import (
	"slices"
	"strings"
	"testing"
)

type inner struct {
	A int    `json:"a"`
	B string `json:"b"`
}

type outer struct {
	ID    string            `json:"id" api:"readonly"`
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Ratio float64           `json:"ratio"`
	On    bool              `json:"on"`
	In    inner             `json:"in"`
	Ptr   *inner            `json:"ptr"`
	List  []inner           `json:"list"`
	Tags  []string          `json:"tags"`
	Vars  map[string]string `json:"vars"`
	Meta  map[string]any    `json:"meta"`
}

func fields(p *Problem) []string {
	var out []string
	if p != nil {
		for _, d := range p.Details {
			out = append(out, d.Field)
		}
	}
	slices.Sort(out)
	return out
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		fields []string
		check  func(t *testing.T, o outer)
	}{
		{name: "all good", body: `{"name":"n","count":3,"ratio":0.5,"on":true,"in":{"a":1},"ptr":{"b":"x"},"list":[{"a":2}],"tags":["t"],"vars":{"k":"v"},"meta":{"any":[1,{"x":null}]}}`,
			check: func(t *testing.T, o outer) {
				if o.Name != "n" || o.Count != 3 || !o.On || o.In.A != 1 || o.In.B != "keep" || o.Ptr.B != "x" || o.List[0].A != 2 || o.Vars["k"] != "v" {
					t.Fatalf("decoded %+v", o)
				}
			}},
		{name: "absent fields keep values", body: `{}`, check: func(t *testing.T, o outer) {
			if o.Name != "orig" || o.In.B != "keep" {
				t.Fatalf("decoded %+v", o)
			}
		}},
		{name: "null resets", body: `{"name":null,"in":null}`, check: func(t *testing.T, o outer) {
			if o.Name != "" || o.In.B != "" {
				t.Fatalf("decoded %+v", o)
			}
		}},
		{name: "every error at once", body: `{"x":1,"count":"3","ratio":"r","on":1,"in":{"a":1.5,"z":0},"list":[{"a":"no"}],"tags":"t","vars":{"k":1}}`,
			fields: []string{"count", "in.a", "in.z", "list[0].a", "on", "ratio", "tags", "vars.k", "x"}},
		{name: "read-only field", body: `{"id":"agent_x"}`, fields: []string{"id"}},
		{name: "integer overflow", body: `{"count":1e40}`, fields: []string{"count"}},
		{name: "wrong container", body: `{"in":[1],"list":{"a":1},"vars":[]}`, fields: []string{"in", "list", "vars"}},
		{name: "not an object", body: `"str"`, fields: []string{"body"}},
		{name: "malformed", body: `{"name":"a",}`, fields: []string{"body"}},
		{name: "empty", body: ``, fields: []string{"body"}},
		{name: "trailing garbage", body: `{"name":"a"} {}`, fields: []string{"body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := outer{Name: "orig", In: inner{B: "keep"}}
			p := Decode([]byte(tc.body), &o)
			if got := fields(p); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, p)
			}
			if p != nil && p.Code != CodeValidation {
				t.Fatalf("code %s", p.Code)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

func TestAgentSpecValidate(t *testing.T) {
	s := DefaultAgentSpec()
	s.Name = "  "
	s.Language = "english please"
	s.LLM.Temperature = 3
	s.Turn.InterruptionMinMs = -1
	s.CollectionID = "col_bad"
	s.Variables = map[string]string{"": "x"}
	p := s.Validate()
	want := []string{"collectionId", "language", "llm.temperature", "name", "turn.interruptionMinMs", "variables."}
	if got := fields(p); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	ok := DefaultAgentSpec()
	ok.Name = "Agent"
	ok.Language = "pt-BR"
	if p := ok.Validate(); p != nil {
		t.Fatalf("valid spec rejected: %v", p)
	}
	if ok.Variables == nil || ok.Metadata == nil {
		t.Fatal("nil maps not normalised")
	}
}

// FuzzDecodeAgent feeds arbitrary bytes to the strict decoder and the
// validator: they must never panic, and an accepted body must validate.
func FuzzDecodeAgent(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a"}`, `{"name":"a","voice":{"provider":"local","voiceId":"x"},"turn":{"backchannels":["ok"]}}`,
		`{"metadata":{"a":[1,2,{"b":null}]},"variables":{"k":"v"}}`, `{"llm":{"temperature":1e308}}`, `[]`, `{"name":`, `null`,
		`{"turn":{"endpointingMs":9223372036854775808}}`, strings.Repeat(`{"a":`, 50),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		spec := DefaultAgentSpec()
		p := DecodeValid(body, &spec)
		if p != nil {
			if p.Code != CodeValidation || len(p.Details) == 0 {
				t.Fatalf("problem without details: %+v", p)
			}
			return
		}
		if v := spec.Validate(); v != nil {
			t.Fatalf("accepted body does not validate: %v", v)
		}
	})
}
