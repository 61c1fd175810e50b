package twiliotest

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/providers/tts/flite"

	"github.com/switchboard-voice/switchboard/providers/stt"
	"github.com/switchboard-voice/switchboard/providers/stt/pocketsphinx"
)

// Transcriber turns agent utterances back into words with the embedded
// PocketSphinx recogniser, to check what the agent said. It is safe for
// concurrent use; one per test binary is enough, as each holds decoders of
// about 60 MB.
type Transcriber struct {
	engine *pocketsphinx.Engine
}

// primer is spoken through a simulated phone line and decoded once by
// NewTranscriber, so that the recogniser's channel estimate is the
// telephone's before the first real utterance (see the pocketsphinx
// package); without it the first transcript loses most of its words.
const primer = "I would like to speak to an agent about my account."

// NewTranscriber loads the recogniser with Debian's en-us model and
// adapts it to phone audio, which takes about a second.
func NewTranscriber(ctx context.Context) (*Transcriber, error) {
	e, err := pocketsphinx.New(pocketsphinx.Options{MaxStreams: 4, IdleDecoders: 2})
	if err != nil {
		return nil, err
	}
	t := &Transcriber{engine: e}
	pcm, err := phoneSpeech(ctx, primer)
	if err == nil {
		_, err = t.Transcribe(ctx, Utterance{PCM8k: pcm})
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("twiliotest: priming the recogniser: %w", err)
	}
	return t, nil
}

// phoneSpeech is text in flite's default voice as a phone line carries it:
// 8 kHz, through μ-law.
func phoneSpeech(ctx context.Context, text string) ([]int16, error) {
	syn, err := flite.New(flite.Options{})
	if err != nil {
		return nil, err
	}
	pcm, err := synthesize(ctx, syn, text, "")
	if err != nil {
		return nil, err
	}
	mulaw := make([]byte, len(pcm))
	g711.EncodeULaw(mulaw, pcm)
	g711.DecodeULaw(pcm, mulaw)
	return pcm, nil
}

// Transcribe returns the words of u, lower case. Phrases the agent is
// likely to say (its prompt's sentences, the expected answer) build a
// domain language model that makes recognition of phone-band audio far
// more accurate; with none the generic model is used.
//
// PocketSphinx adapts to the telephone channel after its first utterance
// at 8 kHz, so the first transcript of a Transcriber is the least
// accurate.
func (t *Transcriber) Transcribe(ctx context.Context, u Utterance, phrases ...string) (string, error) {
	s, err := t.engine.NewStream(ctx, stt.Config{SampleRate: sampleRate, Phrases: phrases})
	if err != nil {
		return "", err
	}
	// Silence around the speech, as a recording would have: the decoder
	// needs a little before the first word and after the last to settle.
	pad := make([]int16, sampleRate*3/10)
	pcm := append(append(append([]int16(nil), pad...), u.PCM8k...), pad...)
	werr := s.Write(pcm)
	res, ferr := s.Finalize()
	cerr := s.Close()
	if err := errors.Join(werr, ferr, cerr); err != nil {
		return "", err
	}
	return res.Text, nil
}

// Close frees the recogniser's decoders.
func (t *Transcriber) Close() error { return t.engine.Close() }
