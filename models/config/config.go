package config

import (
	"encoding/json"
	"fmt"
	"slices"
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
	// SigmaW2 and SigmaB2 are σ_w² and σ_b² of the gaussian and
	// orthogonal initialisations (W ~ N(0, σ_w²/fan_in) or √σ_w² times an
	// orthogonal matrix, b ~ N(0, σ_b²)); the other schemes ignore them.
	SigmaW2 float64 `json:"sigma_w2"`
	SigmaB2 float64 `json:"sigma_b2"`
	// Residual adds each hidden width × width layer's output to its
	// input: h ← h + φ(W h + b).
	Residual bool `json:"residual"`
	// Norm normalises each hidden layer's pre-activation: "none" or
	// "layernorm" (h ← φ(LN(W h + b)), learned gain and bias).
	Norm    string `json:"norm"`
	Preset  string `json:"preset"`
	Dtype   string `json:"dtype"`
	Seed    uint64 `json:"seed"`
	Dataset string `json:"dataset"`
	DataDir string `json:"data_dir"`
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
		SigmaW2:    1,
		SigmaB2:    0,
		Norm:       "none",
		Dtype:      "float32",
		Seed:       1,
		Dataset:    "mnist",
		DataDir:    "datasets",
		LogEvery:   1,
	}
}

// Optimizers are the optimiser names a Config may give; package models
// implements each (a test there checks that the two agree).
var Optimizers = []string{"adam", "momentum", "sgd"}

// Inits are the initialisation scheme names a Config may give; package
// models implements each ("auto" resolves per activation).
var Inits = []string{"auto", "gaussian", "he-normal", "he-uniform", "lecun-normal", "orthogonal", "torch-default", "xavier-normal", "xavier-uniform"}

// MaxVariance bounds sigma-w2 and sigma-b2: far beyond the chaotic
// phase's interesting range, and small enough that the first layer's
// pre-activations stay finite in float32.
const MaxVariance = 100

// Norms are the normalisations a Config may give; package graph builds
// them.
var Norms = []string{"none", "layernorm"}

// Dtypes are the element types a network may compute in.
var Dtypes = []string{"float32", "float64"}

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
func PresetNames() []string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ApplyPreset sets the fields that preset name defines. Settings given
// with a preset are applied afterwards and so override it.
func (c *Config) ApplyPreset(name string) error {
	if name == "" {
		return nil
	}
	p, ok := presets[name]
	if !ok {
		return &FieldError{Field: "preset", Value: name, Reason: "unknown preset; use one of " + strings.Join(PresetNames(), ", ")}
	}
	p(c)
	c.Preset = name
	return nil
}

// Validate reports the first setting, in Fields order, that cannot be
// trained, as a *FieldError.
func (c Config) Validate() error {
	for _, f := range Fields {
		if err := f.Check(c); err != nil {
			return err
		}
	}
	return nil
}

// Structure names the network's structure beyond the plain stack of
// layers: "", "residual", "layernorm" or "residual+layernorm".
func (c Config) Structure() string {
	var parts []string
	if c.Residual {
		parts = append(parts, "residual")
	}
	if c.Norm != "" && c.Norm != "none" {
		parts = append(parts, c.Norm)
	}
	return strings.Join(parts, "+")
}

// Label names a run in tables and figures: its activation, followed by
// "+" and its Structure when it is not plain ("sigmoid+residual").
func (c Config) Label() string {
	if s := c.Structure(); s != "" {
		return c.Act + "+" + s
	}
	return c.Act
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
	return tensor.Dtype{}, &FieldError{Field: "dtype", Value: c.Dtype, Reason: "use float32 or float64"}
}

// Activation returns the activation c names.
func (c Config) Activation() (graph.Activation, error) {
	a, err := graph.Lookup(c.Act, c.LeakySlope)
	if err != nil {
		return a, &FieldError{Field: "act", Value: c.Act, Reason: "unknown activation; use one of " + strings.Join(graph.Names(), ", ")}
	}
	return a, nil
}

// FieldError is a setting whose value cannot be used: it names the
// setting (its Fields name) and the value.
type FieldError struct {
	Field, Value, Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Field, quoteEmpty(e.Value), e.Reason)
}

func quoteEmpty(s string) string {
	if s == "" || strings.ContainsAny(s, " \t") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// Mismatch is the first setting in which two configurations differ.
type Mismatch struct {
	Field string
	// Have and Want are the setting's values in the two configurations.
	Have, Want string
}

// Diff returns the first setting, in Fields order, whose values differ
// between have and want, nil if none does. Settings that change no number
// (the data directory) are not compared.
func Diff(have, want Config) *Mismatch {
	for _, f := range Fields {
		if f.Locator {
			continue
		}
		if a, b := f.Get(have), f.Get(want); a != b {
			return &Mismatch{Field: f.Name, Have: a, Want: b}
		}
	}
	return nil
}

// Describe returns c as one line of "setting value" pairs in Fields
// order, leaving out the data directory and settings left empty.
func Describe(c Config) string {
	var parts []string
	for _, f := range Fields {
		if v := f.Get(c); !f.Locator && v != "" {
			parts = append(parts, f.Name+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

// UnmarshalJSON decodes a configuration as MarshalJSON writes it. A key
// that b lacks (a file written before its setting existed) takes its
// default value, the one such runs were trained with.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config // without this method
	p := plain(Default())
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Config(p)
	return nil
}
