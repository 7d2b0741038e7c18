//go:build !unix

package models

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
