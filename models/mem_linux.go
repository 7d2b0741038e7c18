package models

import "syscall"

// MachineBytes returns this machine's memory, or -1 when it cannot be
// told.
func MachineBytes() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return -1
	}
	return saturate(float64(si.Totalram) * float64(si.Unit))
}
