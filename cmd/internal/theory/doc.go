// Package theory is the gradbench theory command: the mean-field
// quantities of metrics/meanfield (q*, c*, χ₁, ξ_c, ξ_∇, 6ξ_c and the
// critical σ_w²) for one or more activations at one σ_w² or over a range,
// printed as a table or JSON, and drawn as figures. It only parses flags
// and formats; the mathematics is metrics/meanfield's.
package theory
