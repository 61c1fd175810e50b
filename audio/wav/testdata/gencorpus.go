//go:build ignore

// gencorpus writes the FuzzDecode seed corpus: the SoX reference files in
// this directory plus a few producer quirks that FuzzDecode's in-code seeds
// do not spell out byte for byte.
//
//	cd audio/wav/testdata && go run gencorpus.go
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	dir := filepath.Join("fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	seeds := map[string][]byte{}
	for _, f := range []string{"pcm8k.wav", "st44.wav", "ulaw.wav", "alaw.wav"} {
		b, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		seeds["sox-"+f] = b
	}
	// ffmpeg writing to a pipe: RIFF and data sizes left at 0xFFFFFFFF,
	// with a LIST chunk between fmt and data.
	seeds["streamed-list"] = []byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00" +
		"LIST\x1a\x00\x00\x00INFOISFT\x0e\x00\x00\x00Lavf60.16.100\x00" +
		"data\xff\xff\xff\xff\x01\x00\x02\x00\x03\x00\x04")
	// WAVE_FORMAT_EXTENSIBLE, stereo μ-law subformat.
	seeds["extensible-mulaw"] = []byte("RIFF\x46\x00\x00\x00WAVEfmt \x28\x00\x00\x00\xfe\xff\x02\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x08\x00" +
		"\x16\x00\x08\x00\x03\x00\x00\x00\x07\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71" +
		"data\x04\x00\x00\x00\xff\x7f\x00\x80")
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
