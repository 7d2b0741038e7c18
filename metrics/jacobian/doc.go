// Package jacobian computes the input–output Jacobian of a stack of
// fully connected layers at given pre-activations, J = Π D_l W_lᵀ with
// D_l = diag φ′(z_l), and summarises its singular values: the quantity
// behind dynamical isometry (Pennington, Schoenholz and Ganguli 2017),
// where every singular value near 1 lets a signal pass through many
// layers undistorted. Everything is float64 and gonum (mat.SVD); the
// package reads and writes no files.
package jacobian
