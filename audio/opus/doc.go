// Package opus encodes and decodes Opus (RFC 6716) for Switchboard's audio
// path and reads and writes Ogg Opus files (RFC 7845).
//
// The codec itself is libopus, reached through github.com/hraban/opus; this is
// the only package under audio/ that uses cgo. The package adds what the hot
// path needs on top:
//
//   - Encoder and Decoder for mono audio at 8, 16, 24 or 48 kHz with the VoIP
//     application, taking caller-owned buffers and allocating nothing per
//     frame (tests assert it with testing.AllocsPerRun).
//   - Packet checks before libopus sees a packet: ParsePacket validates the
//     TOC byte and frame lengths against RFC 6716 §3.1–§3.4 (requirements
//     R1–R7), which also yields the packet's duration without decoding it.
//   - Loss handling: Conceal runs libopus packet-loss concealment for one
//     missing packet, and DecodeFEC recovers a lost packet from the in-band
//     FEC carried by the packet after it.
//   - EncoderPool so sessions reuse encoder state instead of allocating it.
//
// The Ogg Opus files are built on package audio/ogg, which knows only pages
// and packets. This package owns the Opus mapping: the OpusHead and OpusTags
// header packets (RFC 7845 §5), the rule that each header sits on its own
// page(s) (§3), granule positions counted in 48 kHz samples whatever the
// coding rate (§4), and the pre-skip (§4.2). OggWriter writes a stream,
// OggReader reads one, ReadOggFile reads a whole file held in memory.
package opus
