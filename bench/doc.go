// Package bench holds cross-package benchmarks of the hot paths, such as a
// whole Twilio inbound media frame from base64 payload to VAD decision
// (see README.md for how to run them and the figures measured). It has no
// code of its own.
package bench
