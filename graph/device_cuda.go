//go:build cuda

package graph

import (
	"embed"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unsafe"

	_ "github.com/gradbench/gradbench/graph/cudaprobe" // starts the driver first, with a clear message when it cannot
	"gorgonia.org/cu"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CUDA is true in binaries built with the cuda tag (make gpu).
const CUDA = true

// Set by make gpu (scripts/cuda/build.sh) through -ldflags -X.
var cudaToolkit, cudnnVersion, ptxArch = "unknown", "unknown", "unknown"

// The PTX that make gpu compiles: Gorgonia's element-wise modules and
// gradbench.ptx (graph/kernels/erf.cu). The build fails when they are
// missing, so a CUDA binary always carries its kernels.
//
//go:embed kernels/ptx/*.ptx
var ptxFiles embed.FS

var entryRE = regexp.MustCompile(`\.entry\s+([A-Za-z_][A-Za-z0-9_]*)`)

// kernels is every registered function, "module.function".
var kernels = map[string]bool{}

func init() {
	files, err := ptxFiles.ReadDir("kernels/ptx")
	if err != nil {
		panic(err)
	}
	modules := map[string]string{}
	for _, f := range files {
		data, err := ptxFiles.ReadFile(path.Join("kernels/ptx", f.Name()))
		if err != nil {
			panic(err)
		}
		modules[strings.TrimSuffix(f.Name(), ".ptx")] = string(data)
	}
	// GRADBENCH_PTX_DIR: PTX compiled on the machine that runs the binary
	// (scripts/cuda/build.sh --ptx DIR) replaces the embedded modules of the
	// same name, so that a binary built elsewhere can use that machine's nvcc.
	if dir := os.Getenv("GRADBENCH_PTX_DIR"); dir != "" {
		found, err := filepath.Glob(filepath.Join(dir, "*.ptx"))
		if err == nil && len(found) == 0 {
			err = fmt.Errorf("no .ptx files there")
		}
		for _, f := range found {
			data, rerr := os.ReadFile(f)
			if rerr != nil {
				err = rerr
				break
			}
			modules[strings.TrimSuffix(filepath.Base(f), ".ptx")] = string(data)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gradbench: GRADBENCH_PTX_DIR=%s: %v\n", dir, err)
			os.Exit(2)
		}
		ptxArch += " (PTX from GRADBENCH_PTX_DIR " + dir + ")"
	}
	for _, module := range slices.Sorted(maps.Keys(modules)) {
		data := modules[module]
		var funcs []string
		for _, m := range entryRE.FindAllStringSubmatch(data, -1) {
			funcs = append(funcs, m[1])
			kernels[module+"."+m[1]] = true
		}
		G.AddToStdLib(module, data, funcs)
	}
}

// CallsExtern reports whether erf runs outside Go: on the GPU it does.
func (erfOp) CallsExtern() bool { return true }

// CUDADo runs erf on the GPU with gradbench.erf_f32/f64, in place on the
// preallocated output. Without the kernel, or without an output buffer to
// write to, it computes on the host (the memory is CUDA managed memory, so
// the host can read it) and copies the result.
func (op erfOp) CUDADo(extern G.External, dev G.Device, prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("erf: want 1 input, got %d", len(inputs))
	}
	a := inputs[0]
	machine, ok := extern.(G.CUDAMachine)
	if !ok {
		return nil, fmt.Errorf("erf: %T is not a CUDA machine", extern)
	}
	name := fmt.Sprintf("gradbench.erf_f%d", a.Dtype().Size()*8)
	eng := &machine.Engines()[int(dev)]
	if !eng.HasFunc(name) || prealloc == nil {
		extern.Signal()
		v, err := op.Do(a)
		if err != nil || prealloc == nil {
			return v, err
		}
		return G.Copy(prealloc, v)
	}
	fn := eng.Functions()[name]
	ctx := machine.Contexts()[int(dev)]
	out := cu.DevicePtr(prealloc.Uintptr())
	if prealloc.Uintptr() != a.Uintptr() {
		ctx.Memcpy(out, cu.DevicePtr(a.Uintptr()), int64(a.MemSize()))
	}
	n := a.Shape().TotalSize()
	if a.Shape().IsScalar() {
		n = 1
	}
	size := int32(n)
	gx, gy, gz, bx, by, bz := machine.ElemGridSize(n, int(dev))
	args := []unsafe.Pointer{unsafe.Pointer(&out), unsafe.Pointer(&size)}
	ctx.LaunchAndSync(fn, gx, gy, gz, bx, by, bz, 0, cu.NoStream, args)
	return prealloc, nil
}

// Device describes GPU 0 and the toolkit the binary was built with.
func Device() (DeviceInfo, error) {
	d, err := cu.GetDevice(0)
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("GPU 0: %w", err)
	}
	name, err := d.Name()
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("GPU 0 name: %w", err)
	}
	major, minor, err := d.ComputeCapability()
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("GPU 0 compute capability: %w", err)
	}
	mem, err := d.TotalMem()
	if err != nil {
		return DeviceInfo{}, fmt.Errorf("GPU 0 memory: %w", err)
	}
	v := cu.Version()
	proc, _ := os.ReadFile("/proc/driver/nvidia/version")
	return DeviceInfo{
		Driver:     driverVersion(string(proc)),
		Name:       name,
		Capability: fmt.Sprintf("%d.%d", major, minor),
		MemoryMiB:  mem >> 20,
		DriverAPI:  fmt.Sprintf("%d.%d", v/1000, v%1000/10),
		Toolkit:    cudaToolkit,
		CuDNN:      cudnnVersion,
		PTXArch:    ptxArch,
		Kernels:    len(kernels),
	}, nil
}

// binOpNames maps Gorgonia's element-wise binary op symbols to the names of
// their kernels.
var binOpNames = map[string]string{
	"+": "add", "-": "sub", "⊙": "mul", "÷": "div", "^": "pow",
	">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "==": "eq", "!=": "ne",
}

// place says where op runs on vm and through what.
func place(op G.Op, dt tensor.Dtype, vm G.VM) (where, detail string) {
	if _, ok := op.(G.CUDADoer); !ok {
		return "cpu", "no CUDA implementation in Gorgonia"
	}
	typ := fmt.Sprintf("%T", op)
	bits := dt.Size() * 8
	var kernel string
	switch {
	case strings.HasSuffix(typ, "elemUnaryOp"):
		kernel = fmt.Sprintf("elemunaryop.%s_f%d", op.String(), bits)
	case strings.HasSuffix(typ, "elemBinOp"):
		sym, _, _ := strings.Cut(op.String(), " ")
		kernel = fmt.Sprintf("elembinop.%s_vv_f%d", binOpNames[sym], bits)
	case strings.HasSuffix(typ, "erfOp"):
		kernel = fmt.Sprintf("gradbench.erf_f%d", bits)
	case strings.HasSuffix(typ, "linAlgBinOp"):
		return "gpu", "cuBLAS"
	default:
		return "gpu", "Gorgonia's CUDA op"
	}
	if m, ok := vm.(G.CUDAMachine); ok && len(m.Engines()) > 0 {
		if m.Engines()[0].HasFunc(kernel) {
			return "gpu", kernel
		}
	} else if kernels[kernel] {
		return "gpu", kernel
	}
	return "cpu", "falls back: no kernel " + kernel
}
