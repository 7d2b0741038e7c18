// Package theory is gradbench theory: the mean-field quantities of
// metrics/meanfield (q*, c*, χ₁, ξ_c, ξ_∇, the trainable depth 6ξ_c, the
// critical σ_w² and the phase) for one activation at one (σ_w², σ_b²), a
// table of them over a σ_w² range for several activations, and its figure.
// It parses the flags and prints; the numbers are metrics/meanfield's.
package theory
