// Package slurm submits a command as a Slurm job array and reads back the
// states of its tasks. It knows nothing of what the tasks do: Script takes
// a command line (task i runs it with i as its last argument), an array
// size and a log folder; ParseSqueue and ParseSacct read the schedulers'
// text, and PhaseOf is the pure decision of what a state means. Only
// Submit and States run Slurm's commands.
package slurm
