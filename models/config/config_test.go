package config

import (
	"errors"
	"math"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"act", func(c *Config) { c.Act = "swish" }},
		{"depth", func(c *Config) { c.Depth = 0 }},
		{"width", func(c *Config) { c.Width = -1 }},
		{"batch", func(c *Config) { c.Batch = 0 }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"lr zero", func(c *Config) { c.LR = 0 }},
		{"lr nan", func(c *Config) { c.LR = math.NaN() }},
		{"optimizer", func(c *Config) { c.Optimizer = "rmsprop" }},
		{"init", func(c *Config) { c.Init = "orthogonal" }},
		{"dtype", func(c *Config) { c.Dtype = "float16" }},
		{"log-every", func(c *Config) { c.LogEvery = 0 }},
	} {
		cfg := Default()
		tc.edit(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: invalid config accepted", tc.name)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

// TestFieldsRoundTrip checks that every field reads back what it writes,
// and that Diff names the first setting that differs and skips the data
// directory.
func TestFieldsRoundTrip(t *testing.T) {
	c := Default()
	c.LR, c.Seed, c.ClipNorm, c.Preset = 3e-4, 1<<40, 0.5, "seed"
	for _, f := range Fields {
		var d Config
		if err := f.Set(&d, f.Get(c)); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if f.Get(d) != f.Get(c) {
			t.Errorf("%s: %q read back as %q", f.Name, f.Get(c), f.Get(d))
		}
	}
	d := c
	d.DataDir = "elsewhere"
	if m := Diff(c, d); m != nil {
		t.Errorf("data directory compared: %+v", m)
	}
	d.Width, d.Seed = 64, 9
	if m := Diff(c, d); m == nil || m.Field != "width" || m.Have != "128" || m.Want != "64" {
		t.Errorf("Diff = %+v, want width 128 → 64", m)
	}
	if err := (&Config{}).ApplyPreset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestNonFinite checks that no number a run would write as JSON can be
// infinite or NaN.
func TestNonFinite(t *testing.T) {
	for _, name := range []string{"lr", "clip-norm", "leaky-slope"} {
		for _, x := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
			c := Default()
			f, _ := Lookup(name)
			if err := f.SetValue(&c, x); err != nil {
				t.Fatal(err)
			}
			var fe *FieldError
			if err := c.Validate(); !errors.As(err, &fe) || fe.Field != name {
				t.Errorf("%s = %v: Validate() = %v, want a FieldError for %s", name, x, err, name)
			}
		}
	}
}

// TestFieldsGrouped checks that every setting has a help heading.
func TestFieldsGrouped(t *testing.T) {
	for _, f := range Fields {
		if f.Group == "" || f.Help == "" {
			t.Errorf("field %s: group %q, help %q", f.Name, f.Group, f.Help)
		}
	}
}
