package flite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"
)

// FuzzSynthesize feeds arbitrary text to flite, a C library whose error path
// is exit(): any input that crashes or aborts the process shows up here.
func FuzzSynthesize(f *testing.F) {
	for _, s := range []string{pangram, threeSent, "$3.50 @ 10:30am, 1st-2nd!!", "ǅ ℃ 𝄞 ½ ٣", "....", "a.b.c.d", "I I I I I", "1e309 -0 0x1F", "((((", "\"'`", "mr.mr.mr."} {
		f.Add(s)
	}
	s, err := flite.New(flite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var prev tts.Chunk
		err := s.Synthesize(context.Background(), tts.Request{Text: text, VoiceID: "flite-kal16"}, func(c tts.Chunk) error {
			if c.Offset < prev.Offset {
				t.Fatalf("offset went back from %v to %v", prev.Offset, c.Offset)
			}
			prev = c
			return nil
		})
		if err != nil && !errors.Is(err, tts.ErrEmptyText) && !errors.Is(err, tts.ErrTextTooLong) {
			t.Fatalf("Synthesize(%q): %v", text, err)
		}
	})
}
