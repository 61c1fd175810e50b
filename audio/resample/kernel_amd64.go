package resample

// accel selects the AVX2+FMA kernels. It needs the instructions (CPUID)
// and the operating system's promise to save the YMM registers on context
// switches (OSXSAVE, then XCR0 bits 1 and 2).
var accel = hasAVX2FMA()

func hasAVX2FMA() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0b110 != 0b110 { // SSE and AVX state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv() (eax, edx uint32)

// polyAVX2 is polyGo for k a positive multiple of 8. It does not check
// bounds: poly does, except that steps must only name phases below
// len(steps)/2.
//
//go:noescape
func polyAVX2(dst, x, t []float32, steps []int32, k, i, p, n int) (c, ni, np int)

// widenAVX2 is widenGo for len(src) a multiple of 8, len(dst) ≥ len(src).
//
//go:noescape
func widenAVX2(dst []float32, src []int16)

// quantizeAVX2 is quantizeGo for len(src) a multiple of 8, len(dst) ≥
// len(src).
//
//go:noescape
func quantizeAVX2(dst []int16, src []float32)

func poly(dst, x, t []float32, steps []int32, k, i, p, n int) (c, ni, np int) {
	// Windows start below n, so they end by n+k-1; phases stay below
	// len(steps)/2.
	ok := accel && k > 0 && k%lanes == 0 && i >= 0 && n+k-1 <= len(x) &&
		p >= 0 && p < len(steps)/2 && len(steps)/2*k <= len(t)
	if !ok {
		return polyGo(dst, x, t, steps, k, i, p, n)
	}
	return polyAVX2(dst, x, t, steps, k, i, p, n)
}

func widen(dst []float32, src []int16) {
	dst = dst[:len(src)]
	n := len(src) &^ (lanes - 1)
	if accel && n > 0 {
		widenAVX2(dst[:n], src[:n])
	} else {
		n = 0
	}
	widenGo(dst[n:], src[n:])
}

func quantize(dst []int16, src []float32) {
	dst = dst[:len(src)]
	n := len(src) &^ (lanes - 1)
	if accel && n > 0 {
		quantizeAVX2(dst[:n], src[:n])
	} else {
		n = 0
	}
	quantizeGo(dst[n:], src[n:])
}
