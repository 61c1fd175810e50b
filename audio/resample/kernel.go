package resample

// The inner loops, in two implementations: the portable Go code below and,
// where the CPU has it, an assembly kernel (kernel_amd64.s). The block
// kernel is selected per Process call from accel, which is set once at
// init from the CPU's features; tests switch it off to run every check
// through the portable code as well.

// block is how many outputs the kernel computes per call: enough to
// amortise the call, small enough that the per-Resampler scratch (1 KiB)
// stays in L1.
const block = 256

// lanes is the vector width, in float32s, that phase tables are padded to,
// so that a kernel never needs a tail loop.
const lanes = 8

// padded rounds k up to a multiple of lanes.
func padded(k int) int { return (k + lanes - 1) &^ (lanes - 1) }

// polyGo walks the output sequence from window i, phase p, while i < n
// and dst has room: each output is the dot product of x[i:i+k] with phase
// p's coefficients t[p·k:(p+1)·k], after which steps[2p] is the next phase
// and steps[2p+1] how far the window advances. It returns the outputs
// written and the next window and phase.
func polyGo(dst, x, t []float32, steps []int32, k, i, p, n int) (c, ni, np int) {
	for c < len(dst) && i < n {
		dst[c] = dot(t[p*k:p*k+k], x[i:i+k])
		c++
		i, p = i+int(steps[2*p+1]), int(steps[2*p])
	}
	return c, i, p
}

// widenGo converts samples to float32.
func widenGo(dst []float32, src []int16) {
	dst = dst[:len(src)]
	for i, s := range src {
		dst[i] = float32(s)
	}
}

// quantizeGo rounds and saturates filter outputs to samples.
func quantizeGo(dst []int16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = toInt16(v)
	}
}
