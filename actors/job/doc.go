// Package job is the actor kind that runs long requests in the background
// (transcription of uploaded audio today) with bounded concurrency, and keeps
// them across restarts.
//
// A job and its input are stored before Submit is answered, together with an
// entry in a queue index; the entry goes only when the job's final state is
// stored. On start the manager re-queues every job still in the index, so a
// job that was queued or running when the node stopped (or crashed) runs
// again. Jobs are idempotent, which makes running one twice harmless.
//
// The work itself is a Runner, attached by the layer that knows how to do it
// (the transport, which decodes audio); the manager starts no job until one
// is attached.
package job
