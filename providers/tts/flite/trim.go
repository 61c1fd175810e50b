package flite

// trimmer cuts a sentence's leading silence and all but a short tail of its
// trailing silence while the sentence streams in. Silence is judged by the
// RMS of 10 ms frames against an absolute threshold: flite's pauses are
// near-digital silence (RMS well under 100 of 32767) while speech onsets,
// even soft fricatives, rise above it within a frame or two.
//
// Samples after the last loud frame are held back (beyond the tail) until
// either more speech arrives or the sentence ends, so a chunk never carries
// silence that the end of the sentence would have trimmed.
type trimmer struct {
	frame     int   // samples per analysis frame
	threshold int64 // sum of squares over a full frame that counts as loud
	keep      int   // samples kept before the first loud frame
	tail      int   // samples kept after the last loud frame

	buf      []int16 // the sentence so far, untrimmed
	analysed int     // buf[:analysed] has been judged frame by frame
	start    int     // first kept sample, or -1 before any speech
	lastLoud int     // end of the last loud frame
	out      int     // next sample to hand out
}

// newTrimmer returns a trimmer for audio at rate: frames of 10 ms, a loud
// frame RMS of thresholdRMS, keepMs before speech and tailMs after it.
func newTrimmer(rate, thresholdRMS, keepMs, tailMs int) *trimmer {
	frame := rate / 100
	return &trimmer{
		frame:     frame,
		threshold: int64(thresholdRMS) * int64(thresholdRMS) * int64(frame),
		keep:      rate * keepMs / 1000,
		tail:      rate * tailMs / 1000,
		start:     -1,
	}
}

// reset prepares the trimmer for the next sentence, keeping its buffer.
func (t *trimmer) reset() {
	t.buf = t.buf[:0]
	t.analysed, t.lastLoud, t.out = 0, 0, 0
	t.start = -1
}

// push appends samples and returns the newly releasable audio as a slice of
// the trimmer's buffer, valid until the next call, and its start index in the
// sentence.
func (t *trimmer) push(pcm []int16) ([]int16, int) {
	t.buf = append(t.buf, pcm...)
	for t.analysed+t.frame <= len(t.buf) {
		t.judge(t.analysed, t.analysed+t.frame, t.threshold)
		t.analysed += t.frame
	}
	return t.release(min(t.analysed, max(t.lastLoud+t.tail, t.out)))
}

// finish judges the last partial frame and returns the rest of the sentence
// after trimming, followed by zeros up to padTo samples after the last loud
// frame, and its start index. It returns nothing if the sentence had no
// speech at all.
func (t *trimmer) finish(padTo int) ([]int16, int) {
	if n := len(t.buf) - t.analysed; n > 0 {
		t.judge(t.analysed, len(t.buf), t.threshold*int64(n)/int64(t.frame))
		t.analysed = len(t.buf)
	}
	if t.start < 0 {
		return nil, t.out
	}
	end := min(t.lastLoud+t.tail, len(t.buf))
	if want := t.lastLoud + padTo; want > end {
		t.buf = t.buf[:end]
		t.buf = append(t.buf, make([]int16, want-end)...)
		end = want
	}
	return t.release(end)
}

// judge marks buf[from:to] loud or quiet against threshold (a sum of
// squares over the span).
func (t *trimmer) judge(from, to int, threshold int64) {
	var e int64
	for _, s := range t.buf[from:to] {
		e += int64(s) * int64(s)
	}
	if e < threshold || threshold <= 0 {
		return
	}
	if t.start < 0 {
		t.start = max(0, from-t.keep)
		t.out = t.start
	}
	t.lastLoud = to
}

// release hands out buf[out:limit].
func (t *trimmer) release(limit int) ([]int16, int) {
	if t.start < 0 {
		return nil, t.out
	}
	from := t.out
	if limit <= from {
		return nil, from
	}
	t.out = limit
	return t.buf[from:limit], from
}
