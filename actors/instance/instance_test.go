package instance

import (
	"maps"
	"testing"

	"github.com/switchboard-voice/switchboard/resource"
)

func ptr(s string) *string { return &s }

func TestApply(t *testing.T) {
	base := func() *resource.Agent {
		return &resource.Agent{ID: "agent_x", AgentSpec: resource.AgentSpec{
			Name: "Desk", Prompt: "agent prompt", FirstMessage: "agent hello",
			Voice:     resource.VoiceConfig{Provider: "local", VoiceID: "flite-kal16"},
			Variables: map[string]string{"city": "Paris", "team": "sales"},
		}}
	}
	tests := []struct {
		name       string
		inst       Instance
		wantPrompt string
		wantFirst  string
		wantVoice  string
		wantVars   map[string]string
	}{
		{name: "no overrides keeps the agent", inst: Instance{},
			wantPrompt: "agent prompt", wantFirst: "agent hello", wantVoice: "flite-kal16",
			wantVars: map[string]string{"city": "Paris", "team": "sales"}},
		{name: "every override", inst: Instance{Spec: Spec{
			Variables: map[string]string{"city": "Berlin", "desk": "3"},
			Overrides: Overrides{FirstMessage: ptr("inst hello"), Prompt: ptr("inst prompt"),
				Voice: &resource.VoiceConfig{Provider: "local", VoiceID: "flite-slt"}},
		}}, wantPrompt: "inst prompt", wantFirst: "inst hello", wantVoice: "flite-slt",
			wantVars: map[string]string{"city": "Berlin", "team": "sales", "desk": "3"}},
		{name: "empty greeting is an override", inst: Instance{Spec: Spec{Overrides: Overrides{FirstMessage: ptr("")}}},
			wantPrompt: "agent prompt", wantFirst: "", wantVoice: "flite-kal16",
			wantVars: map[string]string{"city": "Paris", "team": "sales"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			got := tc.inst.Apply(a)
			if got.Prompt != tc.wantPrompt || got.FirstMessage != tc.wantFirst || got.Voice.VoiceID != tc.wantVoice ||
				!maps.Equal(got.Variables, tc.wantVars) {
				t.Fatalf("applied: %+v", got.AgentSpec)
			}
			if want := base(); a.Prompt != want.Prompt || a.FirstMessage != want.FirstMessage ||
				a.Voice != want.Voice || !maps.Equal(a.Variables, want.Variables) {
				t.Fatalf("the agent was modified: %+v", a.AgentSpec)
			}
		})
	}
}

func TestValidNumber(t *testing.T) {
	for number, want := range map[string]bool{
		"+14155550123": true, "+4930123456": true, "+1234567": true, "+123456789012345": true,
		"": false, "14155550123": false, "+04155550123": false, "+123456": false,
		"+1234567890123456": false, "+1 415 555 0123": false, "+1415555012a": false, "+14155550123\n": false,
	} {
		if got := ValidNumber(number); got != want {
			t.Errorf("ValidNumber(%q) = %v", number, got)
		}
	}
}

func TestParseOwner(t *testing.T) {
	for _, tc := range []struct {
		in             string
		org, agent, id string
		ok             bool
	}{
		{"org_1/agent_2/inst_3", "org_1", "agent_2", "inst_3", true},
		{"org_1/agent_2", "org_1", "agent_2", "", true},
		{"org_1", "", "", "", false},
		{"org_1//inst_3", "", "", "", false},
		{"a/b/c/d", "", "", "", false},
	} {
		org, agent, id, ok := parseOwner(tc.in)
		if ok != tc.ok || ok && (org != tc.org || agent != tc.agent || id != tc.id) {
			t.Errorf("parseOwner(%q) = %q %q %q %v", tc.in, org, agent, id, ok)
		}
	}
}
