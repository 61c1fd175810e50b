package rest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/audio/mp3"
	"github.com/switchboard-voice/switchboard/audio/opus"
	"github.com/switchboard-voice/switchboard/audio/resample"
	"github.com/switchboard-voice/switchboard/audio/wav"
	"github.com/switchboard-voice/switchboard/resource"
)

// Audio formats the speech endpoints produce.
const (
	formatWAV   = "wav"
	formatMP3   = "mp3"
	formatOpus  = "opus"
	formatPCM   = "pcm"
	formatMulaw = "mulaw"
)

// outputRates are the sample rates /v1/synthesize produces.
var outputRates = []int{8000, 16000, 22050, 24000, 44100, 48000}

// contentTypes of the produced formats.
var contentTypes = map[string]string{
	formatWAV:   "audio/wav",
	formatMP3:   "audio/mpeg",
	formatOpus:  "audio/ogg",
	formatPCM:   "audio/pcm",
	formatMulaw: "audio/basic",
}

// sttRate is the rate every transcription decodes at.
const sttRate = 16000

// audioHint is what a request says about headerless audio.
type audioHint struct {
	// Encoding is mulaw, alaw or pcm16 (from ?encoding= or Content-Type).
	Encoding   string
	SampleRate int
}

// hintFromRequest reads ?encoding= and ?sampleRate=, or a Content-Type of
// audio/basic (8 kHz μ-law) or audio/pcm / audio/L16 (with ;rate=).
func hintFromRequest(encoding, rate, contentType string) (audioHint, []resource.FieldError) {
	var h audioHint
	var errs []resource.FieldError
	ct := strings.ToLower(strings.TrimSpace(contentType))
	switch {
	case strings.HasPrefix(ct, "audio/basic"):
		h = audioHint{Encoding: "mulaw", SampleRate: 8000}
	case strings.HasPrefix(ct, "audio/pcm"), strings.HasPrefix(ct, "audio/l16"):
		h.Encoding = "pcm16"
		if _, params, ok := strings.Cut(ct, ";"); ok {
			for _, p := range strings.Split(params, ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "rate" {
					h.SampleRate, _ = strconv.Atoi(v)
				}
			}
		}
	}
	if encoding != "" {
		switch encoding {
		case "mulaw", "alaw", "pcm16":
			h.Encoding = encoding
		default:
			errs = append(errs, resource.FieldError{Field: "encoding", Message: "must be mulaw, alaw or pcm16"})
		}
	}
	if rate != "" {
		n, err := strconv.Atoi(rate)
		if err != nil || n < resample.MinRate || n > 48000 {
			errs = append(errs, resource.FieldError{Field: "sampleRate", Message: "must be an integer from 8000 to 48000"})
		}
		h.SampleRate = n
	}
	if h.SampleRate == 0 {
		switch h.Encoding {
		case "mulaw", "alaw":
			h.SampleRate = 8000
		case "pcm16":
			h.SampleRate = sttRate
		}
	}
	return h, errs
}

// decodedAudio is an upload turned into 16 kHz mono PCM.
type decodedAudio struct {
	PCM    []int16 // at sttRate
	Format string  // what was detected: wav, mp3, ogg/opus, mulaw, alaw, pcm16
}

var errNotAudio = errors.New("unrecognised audio")

// decodeAudio detects the format of data from its bytes (RIFF, OggS, ID3 or
// an MPEG frame sync), or takes the hint for headerless audio, and decodes
// it to 16 kHz mono PCM of at most maxDur. Its problems name field.
func decodeAudio(data []byte, h audioHint, maxDur time.Duration, field string) (*decodedAudio, *resource.Problem) {
	invalid := func(msg string) *resource.Problem {
		return resource.Invalid(resource.FieldError{Field: field, Message: msg})
	}
	if len(data) == 0 {
		return nil, invalid("is empty")
	}
	maxSamples := func(rate int) int { return int(maxDur.Seconds() * float64(rate)) }
	var (
		pcm  []int16
		rate int
		out  = &decodedAudio{}
	)
	switch {
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE":
		a, err := wav.Decode(data)
		if err != nil {
			return nil, invalid("is not a readable WAV file: " + strings.TrimPrefix(err.Error(), "wav: "))
		}
		if a.Frames() > maxSamples(a.SampleRate) {
			return nil, tooLong(field, maxDur)
		}
		pcm = downmix(a.Int16(), a.Channels)
		rate, out.Format = a.SampleRate, "wav"
	case len(data) >= 4 && string(data[:4]) == "OggS":
		var err error
		pcm, err = decodeOggOpus(data, maxSamples(sttRate))
		if errors.Is(err, errTooLong) {
			return nil, tooLong(field, maxDur)
		}
		if err != nil {
			return nil, invalid("is not a readable Ogg Opus file: " + err.Error())
		}
		rate, out.Format = sttRate, "ogg/opus"
	case len(data) >= 4 && string(data[:4]) == "fLaC":
		return nil, invalid("FLAC is not supported; send WAV, MP3, Ogg Opus, μ-law or PCM")
	case mp3.Sniff(data) && h.Encoding == "":
		var err error
		pcm, rate, err = mp3.Decode(data, maxSamples(48000))
		if err != nil {
			if strings.Contains(err.Error(), "longer than") {
				return nil, tooLong(field, maxDur)
			}
			return nil, invalid("is not a readable MP3 file")
		}
		if len(pcm) > maxSamples(rate) {
			return nil, tooLong(field, maxDur)
		}
		out.Format = "mp3"
	case h.Encoding != "":
		rate, out.Format = h.SampleRate, h.Encoding
		switch h.Encoding {
		case "mulaw":
			pcm = make([]int16, len(data))
			g711.DecodeULaw(pcm, data)
		case "alaw":
			pcm = make([]int16, len(data))
			g711.DecodeALaw(pcm, data)
		case "pcm16":
			if len(data)%2 != 0 {
				return nil, invalid("pcm16 audio must be a whole number of 16-bit samples")
			}
			pcm = make([]int16, len(data)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
			}
		}
		if len(pcm) > maxSamples(rate) {
			return nil, tooLong(field, maxDur)
		}
	default:
		return nil, invalid("is not a recognised audio format (WAV, MP3, Ogg Opus); headerless audio needs ?encoding=mulaw|alaw|pcm16&sampleRate=N or Content-Type audio/basic")
	}
	if len(pcm) == 0 {
		return nil, invalid("holds no audio samples")
	}
	if rate != sttRate {
		conv, err := resample.Convert(pcm, rate, sttRate)
		if err != nil {
			return nil, invalid(fmt.Sprintf("sample rate %d Hz is not supported", rate))
		}
		pcm = conv
	}
	out.PCM = pcm
	return out, nil
}

var errTooLong = errors.New("too long")

func tooLong(field string, maxDur time.Duration) *resource.Problem {
	return &resource.Problem{Code: resource.CodeValidation, Status: 413,
		Message: fmt.Sprintf("%s: audio must be at most %s long", field, maxDur),
		Details: []resource.FieldError{{Field: field, Message: "audio must be at most " + maxDur.String() + " long"}}}
}

func downmix(s []int16, channels int) []int16 {
	if channels <= 1 {
		return s
	}
	out := make([]int16, len(s)/channels)
	for i := range out {
		var sum int
		for c := range channels {
			sum += int(s[i*channels+c])
		}
		out[i] = int16(sum / channels)
	}
	return out
}

// decodeOggOpus decodes an Ogg Opus file at 16 kHz, dropping the pre-skip.
func decodeOggOpus(data []byte, maxSamples int) ([]int16, error) {
	packets, head, err := opus.ReadOggFile(data)
	if err != nil {
		return nil, err
	}
	if len(packets) == 0 {
		return nil, errors.New("no audio packets")
	}
	dec, err := opus.NewDecoder(sttRate)
	if err != nil {
		return nil, err
	}
	buf := make([]int16, 5760)
	var pcm []int16
	for _, p := range packets {
		n, err := dec.Decode(buf, p)
		if err != nil {
			return nil, err
		}
		pcm = append(pcm, buf[:n]...)
		if len(pcm) > maxSamples {
			return nil, errTooLong
		}
	}
	skip := int(head.PreSkip) * sttRate / 48000
	if skip >= len(pcm) {
		return nil, errors.New("no audio after the pre-skip")
	}
	return pcm[skip:], nil
}

// audioEncoder writes PCM in one output format to a stream. It is owned by
// one response writer.
type audioEncoder interface {
	Write(pcm []int16) error
	// Close writes what the format still holds (the last frames, a
	// trailer); it does not close the underlying writer.
	Close() error
}

// newAudioEncoder returns an encoder of format at rate onto w.
func newAudioEncoder(format string, rate int, w io.Writer) (audioEncoder, error) {
	switch format {
	case formatPCM:
		return &pcmEncoder{w: w}, nil
	case formatMulaw:
		return &mulawEncoder{w: w}, nil
	case formatWAV:
		ww, err := wav.NewWriter(w, wav.PCM16, rate, 1)
		if err != nil {
			return nil, err
		}
		return &wavEncoder{w: ww}, nil
	case formatOpus:
		enc, err := opus.NewEncoder(opus.Config{SampleRate: rate})
		if err != nil {
			return nil, err
		}
		ow, err := opus.NewOggWriter(w, rate, 1)
		if err != nil {
			return nil, err
		}
		return &opusEncoder{enc: enc, ogg: ow, packet: make([]byte, opus.MaxPacketBytes)}, nil
	case formatMP3:
		enc, err := mp3.NewEncoder(rate, 0)
		if err != nil {
			return nil, err
		}
		return &mp3Encoder{enc: enc, w: w}, nil
	}
	return nil, fmt.Errorf("rest: unknown audio format %q", format)
}

type pcmEncoder struct {
	w   io.Writer
	buf []byte
}

func (e *pcmEncoder) Write(pcm []int16) error {
	e.buf = e.buf[:0]
	for _, s := range pcm {
		e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(s))
	}
	_, err := e.w.Write(e.buf)
	return err
}

func (e *pcmEncoder) Close() error { return nil }

type mulawEncoder struct {
	w   io.Writer
	buf []byte
}

func (e *mulawEncoder) Write(pcm []int16) error {
	if cap(e.buf) < len(pcm) {
		e.buf = make([]byte, len(pcm))
	}
	n := g711.EncodeULaw(e.buf[:len(pcm)], pcm)
	_, err := e.w.Write(e.buf[:n])
	return err
}

func (e *mulawEncoder) Close() error { return nil }

type wavEncoder struct {
	w   *wav.Writer
	buf []byte
}

func (e *wavEncoder) Write(pcm []int16) error {
	e.buf = e.buf[:0]
	for _, s := range pcm {
		e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(s))
	}
	_, err := e.w.Write(e.buf)
	return err
}

func (e *wavEncoder) Close() error { return e.w.Close() }

// opusEncoder cuts the PCM into 20 ms frames; Close pads the last one with
// silence.
type opusEncoder struct {
	enc     *opus.Encoder
	ogg     *opus.OggWriter
	pending []int16
	packet  []byte
}

func (e *opusEncoder) Write(pcm []int16) error {
	e.pending = append(e.pending, pcm...)
	n := e.enc.FrameSamples()
	i := 0
	for ; i+n <= len(e.pending); i += n {
		if err := e.frame(e.pending[i : i+n]); err != nil {
			return err
		}
	}
	e.pending = append(e.pending[:0], e.pending[i:]...)
	return nil
}

func (e *opusEncoder) frame(pcm []int16) error {
	k, err := e.enc.Encode(e.packet, pcm)
	if err != nil {
		return err
	}
	return e.ogg.WritePacket(e.packet[:k])
}

func (e *opusEncoder) Close() error {
	if len(e.pending) > 0 {
		last := make([]int16, e.enc.FrameSamples())
		copy(last, e.pending)
		e.pending = e.pending[:0]
		if err := e.frame(last); err != nil {
			return err
		}
	}
	return e.ogg.Close()
}

type mp3Encoder struct {
	enc *mp3.Encoder
	w   io.Writer
	buf []byte
}

func (e *mp3Encoder) Write(pcm []int16) error {
	if need := mp3.MaxOut(len(pcm)); cap(e.buf) < need {
		e.buf = make([]byte, need)
	}
	n, err := e.enc.Encode(e.buf[:cap(e.buf)], pcm)
	if err != nil {
		return err
	}
	_, err = e.w.Write(e.buf[:n])
	return err
}

func (e *mp3Encoder) Close() error {
	defer e.enc.Close()
	if cap(e.buf) < 7200 {
		e.buf = make([]byte, 7200)
	}
	n, err := e.enc.Flush(e.buf[:cap(e.buf)])
	if err != nil {
		return err
	}
	_, err = e.w.Write(e.buf[:n])
	return err
}

// encodeAll encodes pcm whole; for short answers and tests.
func encodeAll(format string, rate int, pcm []int16) ([]byte, error) {
	var b bytes.Buffer
	enc, err := newAudioEncoder(format, rate, &b)
	if err != nil {
		return nil, err
	}
	if err := enc.Write(pcm); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
