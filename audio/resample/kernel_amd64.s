#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func polyAVX2(dst, x, t []float32, steps []int32, k, i, p, n int) (c, ni, np int)
//
// Walks the output sequence from window i, phase p: each output is the dot
// product of x[i:i+k] with phase p's k coefficients (k a multiple of 8),
// with two 8-lane accumulators, 16 taps per iteration, then a horizontal
// sum. Successive outputs are independent, so the out-of-order core
// overlaps one output's reduction with the next one's multiply-adds. The
// next (phase, advance) comes from steps, so there is no division.
TEXT ·polyAVX2(SB), NOSPLIT, $0-152
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ t_base+48(FP), DX
	MOVQ steps_base+72(FP), R8
	MOVQ k+96(FP), R9
	MOVQ i+104(FP), R14
	MOVQ p+112(FP), AX
	MOVQ n+120(FP), R15
	SHLQ $2, R9            // k in bytes
	MOVQ R9, R13
	ANDQ $-64, R13         // bytes covered by the 16-wide loop

output:
	CMPQ R14, R15
	JGE  finish
	TESTQ CX, CX
	JZ   finish
	LEAQ (SI)(R14*4), R10  // window
	MOVQ AX, BX
	IMULQ R9, BX
	LEAQ (DX)(BX*1), R11   // phase coefficients
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ R12, R12
	CMPQ R12, R13
	JGE  tail

taps:
	VMOVUPS (R10)(R12*1), Y2
	VMOVUPS 32(R10)(R12*1), Y3
	VFMADD231PS (R11)(R12*1), Y2, Y0
	VFMADD231PS 32(R11)(R12*1), Y3, Y1
	ADDQ $64, R12
	CMPQ R12, R13
	JLT  taps

tail:
	CMPQ R12, R9
	JGE  reduce
	VMOVUPS (R10)(R12*1), Y2
	VFMADD231PS (R11)(R12*1), Y2, Y0

reduce:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	DECQ CX
	MOVLQSX 4(R8)(AX*8), BX
	ADDQ BX, R14
	MOVLQSX 0(R8)(AX*8), AX
	JMP  output

finish:
	MOVQ dst_len+8(FP), BX
	SUBQ CX, BX
	MOVQ BX, c+128(FP)
	MOVQ R14, ni+136(FP)
	MOVQ AX, np+144(FP)
	VZEROUPPER
	RET

// func widenAVX2(dst []float32, src []int16)
TEXT ·widenAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ   wdone

wloop:
	VPMOVSXWD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  wloop

wdone:
	VZEROUPPER
	RET

// Rounding constants: 32767, -32768, the sign bit, 0.5.
DATA qconst<>+0(SB)/4, $0x46fffe00
DATA qconst<>+4(SB)/4, $0xc7000000
DATA qconst<>+8(SB)/4, $0x80000000
DATA qconst<>+12(SB)/4, $0x3f000000
GLOBL qconst<>(SB), RODATA|NOPTR, $16

// func quantizeAVX2(dst []int16, src []float32)
//
// Exactly toInt16: clamp to [-32768, 32767], add 0.5 with the value's
// sign (round half away from zero), truncate, pack.
TEXT ·quantizeAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ   qdone
	VBROADCASTSS qconst<>+0(SB), Y4
	VBROADCASTSS qconst<>+4(SB), Y5
	VBROADCASTSS qconst<>+8(SB), Y6
	VBROADCASTSS qconst<>+12(SB), Y7

qloop:
	VMOVUPS (SI), Y0
	VMINPS Y4, Y0, Y0
	VMAXPS Y5, Y0, Y0
	VANDPS Y6, Y0, Y1
	VORPS  Y7, Y1, Y1
	VADDPS Y1, Y0, Y0
	VCVTTPS2DQ Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKSSDW X1, X0, X0
	VMOVDQU X0, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  qloop

qdone:
	VZEROUPPER
	RET
