// Package session holds the session actor: one per live conversation. It
// owns the turn state (listening, user speaking, thinking, agent speaking),
// the conversation, the timers and the record of what the caller actually
// heard. The media loops of the connection send it events (speech started
// and ended, transcripts, DTMF, items played); it answers through a Port
// (play audio, clear, notify, hang up) and never touches a socket itself.
//
// Replies run off the mailbox: a reply goroutine streams the language model,
// cuts its text into sentences, synthesizes each and queues the audio on the
// Port, sending progress back as messages. Cancelling a reply's context
// stops all of it, which is how an interruption takes effect.
package session
