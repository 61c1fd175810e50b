//go:build !amd64

package resample

// accel is false: no assembly kernel for this architecture.
var accel = false

func poly(dst, x, t []float32, steps []int32, k, i, p, n int) (c, ni, np int) {
	return polyGo(dst, x, t, steps, k, i, p, n)
}
func widen(dst []float32, src []int16)    { widenGo(dst, src) }
func quantize(dst []int16, src []float32) { quantizeGo(dst, src) }
