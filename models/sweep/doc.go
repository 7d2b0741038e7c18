// Package sweep trains every combination of a grid of settings: it parses
// a TOML grid whose keys are config.Fields, expands it into named runs
// (Build), keeps the sweep's record in sweep.json (Spec), checks what can
// fail before anything trains (Prepare), and hands the runs left to do to
// an Engine: Local trains them in this process, Slurm submits them as a job
// array (package models/sweep/slurm). Statuses tells each run's state; the
// decision itself is the pure function Decide.
package sweep
