// Package meanfield computes the mean-field theory of signal propagation in
// deep random networks (Poole et al. 2016, "Exponential expressivity in deep
// neural networks through transient chaos"; Schoenholz et al. 2017, "Deep
// Information Propagation").
//
// For weights W ~ N(0, σ_w²/fan_in) and biases b ~ N(0, σ_b²) the
// pre-activation variance follows the length map
//
//	q ← σ_w² E_z[φ(√q z)²] + σ_b²
//
// with fixed point q*, and the correlation of two inputs the correlation map
//
//	c ← (σ_w² E[φ(u1)φ(u2)] + σ_b²) / q*,  u1 = √q* z1, u2 = √q*(c z1 + √(1−c²) z2)
//
// with fixed point c*. χ₁ = σ_w² E[φ′(√q* z)²] separates the ordered phase
// (χ₁ < 1: c* = 1, gradients vanish) from the chaotic one (χ₁ > 1: c* < 1,
// gradients explode). χ_c = σ_w² E[φ′(u1)φ′(u2)] at c* sets the depth scale
// of correlations ξ_c = −1/ln χ_c, and ξ_∇ = −1/ln χ₁ that of gradients;
// networks train only when their depth is below about 6ξ_c.
//
// Expectations are Gauss–Hermite quadratures (a product rule in two
// dimensions) and fixed points are found by iteration with a convergence
// check. Activations are given as plain functions φ and φ′, so the package
// is independent of where activations are defined. Scale-invariant
// activations (relu, leakyrelu) are handled exactly: their q* is
// degenerate (q grows or collapses geometrically unless χ₁ = 1, or tends to
// σ_b²/(1−χ₁) when χ₁ < 1 and σ_b² > 0). The package reads and writes no
// files.
package meanfield
