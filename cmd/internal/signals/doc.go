// Package signals is how gradbench stops on SIGINT (Ctrl-C), SIGTERM and
// SIGQUIT, in every phase of every command: one handler for the whole
// process, installed before any command starts.
//
// The first signal cancels the Context that the training loops watch: a
// run stops after its step, writes its checkpoint and the command exits
// with Exit (130). Whatever a command is doing when the signal arrives
// (building a graph, loading data, writing figures), it exits with 130
// too: at once on a second signal, or after Grace if it has not ended by
// then. Nothing finished is damaged by such an exit: every file that a
// finished run is read back from is replaced atomically, and an
// unfinished run's CSVs are cut back to its checkpoint when it resumes.
package signals
