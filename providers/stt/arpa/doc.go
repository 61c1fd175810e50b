// Package arpa builds small n-gram language models in the ARPA text format
// from a list of domain phrases (an agent's prompt, its tool parameter
// values, knowledge titles, test scripts).
//
// A recogniser constrained by such a model hears "book an appointment for
// tomorrow" where a generic model of a whole language hears "look at a point
// meant for to mar oh". The model is an interpolated absolute-discounting
// n-gram (Ney, Essen and Kneser 1994) written in backoff form, with a small
// share of the unigram mass spread over common function words so that
// sentences the phrases did not foresee still decode to something sensible.
//
// The package is pure Go and engine-independent; ARPA is read by
// pocketsphinx, Kaldi, Julius and KenLM alike.
package arpa
