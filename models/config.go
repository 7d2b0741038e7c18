// Package models holds the network and training configuration of a
// gradbench run (depth, width, initialisation, optimiser, presets) and the
// training loop that executes the graph on Gorgonia's TapeMachine.
package models

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gradbench/gradbench/graph"
	"gorgonia.org/tensor"
)

// Config is the full configuration of one training run.
type Config struct {
	Act        string  `json:"act"`
	LeakySlope float64 `json:"leaky_slope"`
	Depth      int     `json:"depth"`
	Width      int     `json:"width"`
	Batch      int     `json:"batch"`
	Epochs     int     `json:"epochs"`
	LR         float64 `json:"lr"`
	Optimizer  string  `json:"optimizer"`
	Init       string  `json:"init"`
	Preset     string  `json:"preset"`
	Dtype      string  `json:"dtype"`
	Seed       uint64  `json:"seed"`
	Dataset    string  `json:"dataset"`
	DataDir    string  `json:"data_dir"`
	// TrainSize and TestSize limit the splits to their first N examples;
	// 0 means the whole split.
	TrainSize int `json:"train_size"`
	TestSize  int `json:"test_size"`
	LogEvery  int `json:"log_every"`
	// ClipNorm, when positive, rescales the gradients of a step whose
	// global norm exceeds it to that norm.
	ClipNorm float64 `json:"clip_norm"`
}

// Default returns the default configuration: a 20×128 GELU network on
// MNIST, batch 128, Adam at 1e-3, float32, one epoch.
func Default() Config {
	return Config{
		Act:        "gelu",
		LeakySlope: graph.DefaultLeakySlope,
		Depth:      20,
		Width:      128,
		Batch:      128,
		Epochs:     1,
		LR:         1e-3,
		Optimizer:  "adam",
		Init:       "auto",
		Preset:     "",
		Dtype:      "float32",
		Seed:       1,
		Dataset:    "mnist",
		DataDir:    "datasets",
		LogEvery:   1,
	}
}

// presets maps a preset name to the settings it changes.
var presets = map[string]func(*Config){
	// seed reproduces the tutorial's notebook: Linear(784→128),
	// 20 × Linear(128→128), Linear(128→10), PyTorch's default
	// initialisation, Adam 1e-3, batch 128, 3 epochs, pixels in [0,1].
	"seed": func(c *Config) {
		c.Depth = 21
		c.Width = 128
		c.Init = "torch-default"
		c.Optimizer = "adam"
		c.LR = 1e-3
		c.Batch = 128
		c.Epochs = 3
	},
}

// PresetNames returns the names of all presets in sorted order.
func PresetNames() []string { return keys(presets) }

// ApplyPreset sets the fields that preset name defines. Flags a user gives
// with a preset are applied afterwards and so override it.
func (c *Config) ApplyPreset(name string) error {
	if name == "" {
		return nil
	}
	p, ok := presets[name]
	if !ok {
		return fmt.Errorf("unknown preset %q: use one of %s", name, strings.Join(PresetNames(), ", "))
	}
	p(c)
	c.Preset = name
	return nil
}

// Validate reports the first setting that cannot be trained, as an error
// that names the setting and the accepted values.
func (c Config) Validate() error {
	if _, err := graph.Lookup(c.Act, c.LeakySlope); err != nil {
		return err
	}
	for _, v := range []struct {
		name string
		val  int
	}{{"depth", c.Depth}, {"width", c.Width}, {"batch", c.Batch}, {"epochs", c.Epochs}, {"log-every", c.LogEvery}} {
		if v.val < 1 {
			return fmt.Errorf("--%s must be at least 1, got %d", v.name, v.val)
		}
	}
	if !(c.LR > 0) {
		return fmt.Errorf("--lr must be greater than 0, got %g", c.LR)
	}
	if c.ClipNorm < 0 || math.IsNaN(c.ClipNorm) {
		return fmt.Errorf("--clip-norm must be 0 (off) or positive, got %g", c.ClipNorm)
	}
	if c.TrainSize < 0 || c.TestSize < 0 {
		return fmt.Errorf("--train-size and --test-size must be 0 (all) or positive")
	}
	if _, ok := optimizers[c.Optimizer]; !ok {
		return fmt.Errorf("unknown optimizer %q: use one of %s", c.Optimizer, strings.Join(keys(optimizers), ", "))
	}
	if _, ok := inits[c.Init]; !ok {
		return fmt.Errorf("unknown init %q: use one of %s", c.Init, strings.Join(keys(inits), ", "))
	}
	if _, err := c.DType(); err != nil {
		return err
	}
	return nil
}

// Layers returns the number of linear layers, Depth+1.
func (c Config) Layers() int { return c.Depth + 1 }

// DType returns the tensor element type named by c.Dtype.
func (c Config) DType() (tensor.Dtype, error) {
	switch c.Dtype {
	case "float32":
		return tensor.Float32, nil
	case "float64":
		return tensor.Float64, nil
	}
	return tensor.Dtype{}, fmt.Errorf("unknown dtype %q: use float32 or float64", c.Dtype)
}

// Activation returns the activation c names.
func (c Config) Activation() (graph.Activation, error) {
	return graph.Lookup(c.Act, c.LeakySlope)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
