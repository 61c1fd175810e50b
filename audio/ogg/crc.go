package ogg

// crcTable is the byte-wise table for the Ogg CRC-32: generator polynomial
// 0x04c11db7, processed MSB first (not reflected), unlike the IEEE CRC in
// hash/crc32, which is why the standard library cannot be used here.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// crcUpdate continues an Ogg CRC over b.
func crcUpdate(crc uint32, b []byte) uint32 {
	for _, v := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>24)^v]
	}
	return crc
}
