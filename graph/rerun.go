package graph

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// Rerun readies vm to run its program again from the first instruction,
// keeping the values its registers hold from the last run.
//
// Why: a TapeMachine's Reset rewinds the program counter and also drops
// every CPU register, so each step allocates every intermediate tensor
// again (about 9 MB and 5,500 allocations a step at width 128) although
// the machine already reuses a register whose value has the right type and
// shape (its alloc instruction skips the allocation, and an op with a
// preallocated destination writes into it). Gorgonia v0.9.18 offers no way
// to rewind without dropping, so Rerun sets the machine's unexported
// program counter (the int field pc of *tapeMachine) to 0 through
// reflection. The values kept are overwritten before they are read in the
// next run, which TestRerunKeepsNumbers checks against Reset step by step.
//
// Where the machine is not a *tapeMachine of that shape (another VM, a
// Gorgonia upgrade that renamed the field) or in the CUDA build (whose
// Reset also returns device memory), Rerun falls back to Reset; the guard
// test TestRerunReusesRegisters fails loudly when that happens in the CPU
// build.
func Rerun(vm G.VM) {
	if pc, ok := programCounter(vm); ok && !CUDA {
		*pc = 0
		return
	}
	vm.Reset()
}

// programCounter returns the address of vm's program counter, and false
// when vm has none that Rerun knows how to rewind.
func programCounter(vm G.VM) (*int, bool) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct || v.Elem().Type().Name() != "tapeMachine" {
		return nil, false
	}
	f := v.Elem().FieldByName("pc")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return nil, false
	}
	return (*int)(unsafe.Pointer(f.UnsafeAddr())), true
}
