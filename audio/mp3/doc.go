// Package mp3 encodes and decodes MPEG-1/2 Layer III audio (ISO/IEC 11172-3,
// ISO/IEC 13818-3) for the speech endpoints: synthesized speech served as
// MP3, and MP3 uploads to transcribe.
//
// Encoding is LAME (libmp3lame, LGPL, linked dynamically) through cgo: no
// maintained pure-Go MP3 encoder exists, and LAME is the reference-quality
// encoder every distribution ships. Decoding is github.com/hajimehoshi/go-mp3,
// pure Go. Like audio/opus, this is a codec binding and the only other place
// under audio/ that uses cgo.
//
// Building needs Debian's libmp3lame-dev; running needs libmp3lame0.
package mp3
