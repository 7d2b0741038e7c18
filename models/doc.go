// Package models builds and trains the networks of gradbench runs: Model
// (a network's named parameters with its training and evaluation graphs
// on Gorgonia's TapeMachine), the initialisation schemes and optimisers
// that config.Config names, Train (the training loop, recording through a
// Sink), checkpoints, and TrainInto and ReadResume, which train into and
// resume from a run directory (package models/rundir).
package models
