package deepgram

import "testing"

// FuzzParse checks that no frame makes the result parser panic or return
// out-of-range timings or confidences. The seed corpus is in testdata/fuzz.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"type":"Results","is_final":true,"channel":{"alternatives":[{"transcript":"hi","words":[{"word":"hi","start":0.1,"end":0.3,"confidence":0.9}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ok, err := parse(data)
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
		for _, w := range r.words {
			if w.Start < 0 || w.End < 0 || w.Confidence < 0 || w.Confidence > 1 {
				t.Fatalf("word %+v", w)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := results([]string{"I'd", "like", "to", "book", "a", "cleaning", "on", "Tuesday."}, true, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
