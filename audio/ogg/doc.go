// Package ogg reads and writes the Ogg container format (RFC 3533) for a
// single logical bitstream.
//
// It knows nothing about the codec inside: pages carry opaque packets and a
// granule position whose meaning the codec mapping defines (for Opus, RFC 7845,
// see package audio/opus, which builds its .opus writer and reader on top of
// this one).
//
// What the package does:
//   - ParsePage checks one page in memory: the "OggS" capture pattern, stream
//     structure version 0, the lacing table against the remaining bytes, and
//     the CRC-32 (polynomial 0x04c11db7, not reflected, initial value 0, no
//     final xor, computed with the checksum field set to zero; RFC 3533 §6).
//   - Writer laces packets into pages (a packet may span pages), sets BOS on
//     the first page and EOS on the last, and stamps each page with the granule
//     position of the last packet that completes on it, or -1 if none does.
//   - Reader reads pages from an io.Reader and reassembles packets.
//
// Both keep their page and packet buffers between calls, so steady-state
// reading and writing allocate nothing. Multiplexed or chained streams are not
// supported: a page from a second serial number is an error (ErrStream),
// because nothing in Switchboard produces or needs them.
package ogg
