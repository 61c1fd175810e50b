// Package voice is the actor kind that owns an organization's custom
// voices, and the signal analysis that fits one to a sample.
//
// A custom voice is a stored recipe over a built-in engine voice: the
// embedded engine cannot clone a speaker, so cloning measures the sample's
// median pitch and speaking rate (Analyze), picks the built-in voice whose
// pitch is nearest, and stores the pitch offset and speed that bring it
// closest to the sample (Fit). The voice says so in its Method and Note.
package voice
