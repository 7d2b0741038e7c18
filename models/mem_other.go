//go:build !linux

package models

// MachineBytes returns this machine's memory, or -1 when it cannot be
// told (on this system it cannot).
func MachineBytes() int64 { return -1 }
