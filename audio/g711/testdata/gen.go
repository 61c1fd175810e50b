//go:build ignore

// gen writes the G.711 golden files with SoX, independently of package
// g711:
//
//	cd audio/g711/testdata && go run gen.go
//
// ulaw_encode.golden / alaw_encode.golden hold SoX's code for every 16-bit
// input -32768…32767 in order; ulaw_decode.golden / alaw_decode.golden hold
// SoX's decoded value (int16, little-endian) for every code 0…255. Dither is
// disabled (-D): SoX would otherwise add noise when it narrows 16-bit input
// to the 14/13 bits the laws keep.
package main

import (
	"encoding/binary"
	"log"
	"os"
	"os/exec"
)

func main() {
	pcm := make([]byte, 2*65536)
	for i := range 65536 {
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(i-32768)))
	}
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	must(os.WriteFile("pcm16.tmp", pcm, 0o644))
	must(os.WriteFile("codes.tmp", codes, 0o644))
	defer os.Remove("pcm16.tmp")
	defer os.Remove("codes.tmp")

	pcmIn := []string{"-t", "raw", "-e", "signed", "-b", "16", "-r", "8000", "-c", "1", "pcm16.tmp"}
	for _, law := range []struct{ name, enc string }{{"ulaw", "mu-law"}, {"alaw", "a-law"}} {
		sox(append(pcmIn, "-t", "raw", "-e", law.enc, "-b", "8", law.name+"_encode.golden")...)
		sox("-t", "raw", "-e", law.enc, "-b", "8", "-r", "8000", "-c", "1", "codes.tmp",
			"-t", "raw", "-e", "signed", "-b", "16", law.name+"_decode.golden")
	}
}

func sox(args ...string) {
	cmd := exec.Command("sox", append([]string{"-D", "-V1"}, args...)...)
	cmd.Stderr = os.Stderr
	must(cmd.Run())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
