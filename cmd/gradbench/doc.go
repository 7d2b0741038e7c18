// Command gradbench trains deep fully connected networks with different
// activation functions on Gorgonia's TapeMachine and records every layer's
// gradient norm after each backward pass.
//
// Exit codes: 0 success, 1 a failure while running, 2 bad input (nothing
// was trained), 3 training diverged (outputs up to that step are kept),
// 130 interrupted (outputs so far are kept).
package main
