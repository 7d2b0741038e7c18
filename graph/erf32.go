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
			y = hermite(&erfTable, &erfSlope, a)
		}
		if neg {
			y = -y
		}
		dst[i] = float32(y)
	}
}

// erfGrad32 computes erf′(x) = 2/√π·exp(−x²) for float32 data the same
// way, from a table of erf′ and erf″ = −2x·erf′ on [0, 2), where the
// interpolation's relative error stays below float32's resolution, and
// with math.Exp beyond.
func erfGrad32(dst, src []float32) {
	for i, x := range src {
		a := math.Abs(float64(x))
		if a < gradTableMax {
			dst[i] = float32(hermite(&gradTable, &gradSlope, a))
		} else {
			dst[i] = float32(twoOverSqrtPi * math.Exp(-a*a))
		}
	}
}

// hermite interpolates the function tabulated in f with the step-scaled
// derivatives d at 0 ≤ a < erfTableMax.
func hermite(f, d *[erfTableLen + 1]float64, a float64) float64 {
	t := a * erfTableSteps
	k := int(t)
	u := t - float64(k)
	v := 1 - u
	return (1+2*u)*v*v*f[k] + u*v*v*d[k] + u*u*(3-2*u)*f[k+1] - u*u*v*d[k+1]
}

const (
	erfTableSteps = 64
	erfTableMax   = 4.0
	erfTableLen   = int(erfTableMax*erfTableSteps) + 1
	gradTableMax  = 2.0
)

// erfTable holds erf(k/64) and erfSlope erf′(k/64)/64 for k = 0 … 257;
// gradTable erf′(k/64) and gradSlope erf″(k/64)/64.
var erfTable, erfSlope, gradTable, gradSlope = func() (f, d, g, gd [erfTableLen + 1]float64) {
	for k := range f {
		x := float64(k) / erfTableSteps
		e := 2 / math.Sqrt(math.Pi) * math.Exp(-x*x)
		f[k], d[k] = math.Erf(x), e/erfTableSteps
		g[k], gd[k] = e, -2*x*e/erfTableSteps
	}
	return f, d, g, gd
}()
