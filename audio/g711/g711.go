package g711

// Encoding depends only on the bits that survive truncation, so the encode
// tables are indexed by the sample's top 14 (μ-law) or 12 (A-law: G.191
// looks at 12 bits, the 13-bit grid's least significant bit never changes
// the code) bits. Indexing with uint16(s)>>shift keeps negative and
// positive samples in separate halves of the table, and because
// ^(s>>k) == (^s)>>k the one's-complement rule survives the truncation.
const (
	ulawShift = 2 // 16 → 14 bits
	alawShift = 4 // 16 → 12 bits plus sign
)

var (
	ulawEnc [1 << (16 - ulawShift)]byte
	alawEnc [1 << (16 - alawShift)]byte
	ulawDec [256]int16
	alawDec [256]int16
)

func init() {
	for i := range ulawEnc {
		ulawEnc[i] = ulawCompress(int16(uint16(i << ulawShift)))
	}
	for i := range alawEnc {
		alawEnc[i] = alawCompress(int16(uint16(i << alawShift)))
	}
	for i := range 256 {
		ulawDec[i] = ulawExpand(byte(i))
		alawDec[i] = alawExpand(byte(i))
	}
}

// ulawCompress is the G.711 μ-law encoding rule (Table 2a/G.711) for one
// sample; it only fills the table.
func ulawCompress(s int16) byte {
	// Magnitude on the 14-bit grid, biased by 33 so that the segment
	// boundaries fall on powers of two.
	var mag int32
	if s < 0 {
		mag = int32(^s>>2) + 33
	} else {
		mag = int32(s>>2) + 33
	}
	mag = min(mag, 0x1FFF)
	seg := int32(1)
	for i := mag >> 6; i != 0; i >>= 1 {
		seg++
	}
	code := byte((8-seg)<<4) | byte(0x0F-(mag>>seg)&0x0F)
	if s >= 0 {
		code |= 0x80
	}
	return code
}

// alawCompress is the G.711 A-law encoding rule (Table 1a/G.711).
func alawCompress(s int16) byte {
	var ix int32
	if s < 0 {
		ix = int32(^s >> 4)
	} else {
		ix = int32(s >> 4)
	}
	if ix > 15 {
		exp := int32(1)
		for ix > 16+15 {
			ix >>= 1
			exp++
		}
		ix = ix - 16 + exp<<4
	}
	if s >= 0 {
		ix |= 0x80
	}
	// Even bits are inverted on the line (G.711 §3.4, note on transmission).
	return byte(ix) ^ 0x55
}

// ulawExpand is the G.711 μ-law decoding rule (Table 2b/G.711), scaled to
// 16 bits.
func ulawExpand(c byte) int16 {
	m := int32(^c)
	exp := (m >> 4) & 7
	step := int32(4) << (exp + 1)
	v := (int32(0x80) << exp) + step*(m&0x0F) + step/2 - 4*33
	if c < 0x80 {
		v = -v
	}
	return int16(v)
}

// alawExpand is the G.711 A-law decoding rule (Table 1b/G.711), scaled to
// 16 bits.
func alawExpand(c byte) int16 {
	ix := int32(c^0x55) & 0x7F
	exp := ix >> 4
	mant := ix & 0x0F
	if exp > 0 {
		mant += 16
	}
	mant = mant<<4 + 8
	if exp > 1 {
		mant <<= exp - 1
	}
	if c < 0x80 {
		mant = -mant
	}
	return int16(mant)
}

// LinearToULaw encodes one 16-bit linear sample as μ-law.
func LinearToULaw(s int16) byte { return ulawEnc[uint16(s)>>ulawShift] }

// ULawToLinear decodes one μ-law code to a 16-bit linear sample.
func ULawToLinear(c byte) int16 { return ulawDec[c] }

// LinearToALaw encodes one 16-bit linear sample as A-law.
func LinearToALaw(s int16) byte { return alawEnc[uint16(s)>>alawShift] }

// ALawToLinear decodes one A-law code to a 16-bit linear sample.
func ALawToLinear(c byte) int16 { return alawDec[c] }

// EncodeULaw encodes min(len(dst), len(src)) samples from src into dst as
// μ-law and returns that count.
func EncodeULaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	// Four at a time: the loads are independent and the loop overhead
	// otherwise dominates a single table lookup.
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[i : i+4 : i+4]
		d := dst[i : i+4 : i+4]
		d[0] = ulawEnc[uint16(s[0])>>ulawShift]
		d[1] = ulawEnc[uint16(s[1])>>ulawShift]
		d[2] = ulawEnc[uint16(s[2])>>ulawShift]
		d[3] = ulawEnc[uint16(s[3])>>ulawShift]
	}
	for ; i < n; i++ {
		dst[i] = ulawEnc[uint16(src[i])>>ulawShift]
	}
	return n
}

// DecodeULaw decodes min(len(dst), len(src)) μ-law codes from src into dst
// and returns that count.
func DecodeULaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[i : i+4 : i+4]
		d := dst[i : i+4 : i+4]
		d[0] = ulawDec[s[0]]
		d[1] = ulawDec[s[1]]
		d[2] = ulawDec[s[2]]
		d[3] = ulawDec[s[3]]
	}
	for ; i < n; i++ {
		dst[i] = ulawDec[src[i]]
	}
	return n
}

// EncodeALaw encodes min(len(dst), len(src)) samples from src into dst as
// A-law and returns that count.
func EncodeALaw(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[i : i+4 : i+4]
		d := dst[i : i+4 : i+4]
		d[0] = alawEnc[uint16(s[0])>>alawShift]
		d[1] = alawEnc[uint16(s[1])>>alawShift]
		d[2] = alawEnc[uint16(s[2])>>alawShift]
		d[3] = alawEnc[uint16(s[3])>>alawShift]
	}
	for ; i < n; i++ {
		dst[i] = alawEnc[uint16(src[i])>>alawShift]
	}
	return n
}

// DecodeALaw decodes min(len(dst), len(src)) A-law codes from src into dst
// and returns that count.
func DecodeALaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := src[i : i+4 : i+4]
		d := dst[i : i+4 : i+4]
		d[0] = alawDec[s[0]]
		d[1] = alawDec[s[1]]
		d[2] = alawDec[s[2]]
		d[3] = alawDec[s[3]]
	}
	for ; i < n; i++ {
		dst[i] = alawDec[src[i]]
	}
	return n
}
