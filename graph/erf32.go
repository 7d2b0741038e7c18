package graph

import "math"

// erf32 computes erf for float32 data by cubic Hermite interpolation of a
// table of erf and its derivative 2/√π·exp(−x²) at steps of 1/64 on [0, 4]
// (erf(x) rounds to 1 in float32 beyond 3.92). The interpolation error is
// below 1e-9, far under float32's resolution, so the result is math.Erf
// rounded to float32 but for the rare value within 1e-9 of a rounding
// boundary (TestErf32 measures both). It takes a few nanoseconds an
// element where float64 math.Erf takes about fifty.
func erf32(dst, src []float32) {
	for i, x := range src {
		a := float64(x)
		neg := math.Signbit(a)
		if neg {
			a = -a
		}
		var y float64
		switch {
		case a >= erfTableMax:
			y = 1
		case a != a: // NaN
			y = a
		default:
			t := a * erfTableSteps
			k := int(t)
			u := t - float64(k)
			v := 1 - u
			// Hermite basis on [k, k+1] with the derivatives scaled by
			// the step.
			y = (1+2*u)*v*v*erfTable[k] + u*v*v*erfSlope[k] + u*u*(3-2*u)*erfTable[k+1] - u*u*v*erfSlope[k+1]
		}
		if neg {
			y = -y
		}
		dst[i] = float32(y)
	}
}

const (
	erfTableSteps = 64
	erfTableMax   = 4.0
	erfTableLen   = int(erfTableMax*erfTableSteps) + 1
)

// erfTable holds erf(k/64) and erfSlope erf′(k/64)/64 for k = 0 … 256.
var erfTable, erfSlope = func() (f, d [erfTableLen + 1]float64) {
	for k := range f {
		x := float64(k) / erfTableSteps
		f[k] = math.Erf(x)
		d[k] = 2 / math.Sqrt(math.Pi) * math.Exp(-x*x) / erfTableSteps
	}
	return f, d
}()
