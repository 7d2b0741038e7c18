package graph

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DeviceInfo describes the GPU of a CUDA build and what the build was made
// with.
type DeviceInfo struct {
	Name       string `json:"name"`
	Capability string `json:"compute_capability"`
	MemoryMiB  int64  `json:"memory_mib"`
	Driver     string `json:"driver"`
	DriverAPI  string `json:"driver_api"`
	Toolkit    string `json:"toolkit"`
	CuDNN      string `json:"cudnn"`
	PTXArch    string `json:"ptx_arch"`
	Kernels    int    `json:"kernels"`
}

// String is one line: name, capability, memory, driver and toolkit.
func (d DeviceInfo) String() string {
	return fmt.Sprintf("%s (compute capability %s, %d MiB), driver %s (CUDA %s); built with CUDA %s, cuDNN %s, kernels %s",
		d.Name, d.Capability, d.MemoryMiB, d.Driver, d.DriverAPI, d.Toolkit, d.CuDNN, d.PTXArch)
}

// shapeArgs matches the sizes in op names such as Reshape(128, 1) and SizeOf=10.
var shapeArgs = regexp.MustCompile(`\(\d+(, \d+)*\)$|=\d+$`)

// OpPlace is one kind of op in a compiled graph and where it runs.
type OpPlace struct {
	Op     string // op type and its Gorgonia name, e.g. "elemUnaryOp exp"
	Count  int    // nodes of this kind in the graph
	Where  string // "gpu" or "cpu"
	Detail string // the kernel or library, or why it stays on the CPU
}

// Placement lists the ops of g, whose values have type dt, by kind and where vm, the TapeMachine
// compiled from g, runs each: in the CUDA build, ops with a CUDA
// implementation run on the GPU (element-wise ones only where their kernel
// is loaded) and the rest on the CPU, with copies between; in the CPU build,
// everything runs on the CPU.
func Placement(g *G.ExprGraph, vm G.VM, dt tensor.Dtype) []OpPlace {
	byKey := map[string]*OpPlace{}
	for _, n := range g.AllNodes() {
		op := n.Op()
		if op == nil {
			continue
		}
		name := fmt.Sprintf("%T %s", op, op.String())
		name = strings.TrimPrefix(strings.TrimPrefix(name, "*"), "gorgonia.")
		name = shapeArgs.ReplaceAllString(name, "") // Reshape(128, 1), SizeOf=10: one row per kind
		where, detail := place(op, dt, vm)
		key := name + "|" + where + "|" + detail
		if p, ok := byKey[key]; ok {
			p.Count++
			continue
		}
		byKey[key] = &OpPlace{Op: name, Count: 1, Where: where, Detail: detail}
	}
	out := make([]OpPlace, 0, len(byKey))
	for _, p := range byKey {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Where != out[j].Where {
			return out[i].Where > out[j].Where
		}
		return out[i].Op < out[j].Op
	})
	return out
}

// DeviceName is where this build runs its graphs: "cpu", or "cuda:0" and
// the GPU's name.
func DeviceName() string {
	if !CUDA {
		return "cpu"
	}
	d, err := Device()
	if err != nil {
		return "cuda:0"
	}
	return "cuda:0 " + d.Name
}

// driverRE finds the version in /proc/driver/nvidia/version, e.g. "NVRM
// version: NVIDIA UNIX x86_64 Kernel Module  580.82.07  Sun Aug 10 ..." or,
// for the open kernel modules, "... Open Kernel Module for x86_64  580.65.06 ...".
var driverRE = regexp.MustCompile(`Kernel Module(?: for \S+)?\s+([0-9]+\.[0-9.]+)`)

// driverVersion returns the NVIDIA driver's version from the text of
// /proc/driver/nvidia/version, or "unknown".
func driverVersion(proc string) string {
	if m := driverRE.FindStringSubmatch(proc); m != nil {
		return m[1]
	}
	return "unknown"
}
