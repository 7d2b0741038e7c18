package config

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
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
		{"init", func(c *Config) { c.Init = "kaiming" }},
		{"sigma-w2 zero", func(c *Config) { c.SigmaW2 = 0 }},
		{"sigma-w2 negative", func(c *Config) { c.SigmaW2 = -1 }},
		{"sigma-w2 nan", func(c *Config) { c.SigmaW2 = math.NaN() }},
		{"sigma-w2 inf", func(c *Config) { c.SigmaW2 = math.Inf(1) }},
		{"sigma-w2 too large", func(c *Config) { c.SigmaW2 = MaxVariance * 1.01 }},
		{"sigma-b2 negative", func(c *Config) { c.SigmaB2 = -1e-9 }},
		{"sigma-b2 nan", func(c *Config) { c.SigmaB2 = math.NaN() }},
		{"sigma-b2 too large", func(c *Config) { c.SigmaB2 = MaxVariance + 1 }},
		{"dtype", func(c *Config) { c.Dtype = "float16" }},
		{"log-every", func(c *Config) { c.LogEvery = 0 }},
		{"norm", func(c *Config) { c.Norm = "batchnorm" }},
		{"norm empty", func(c *Config) { c.Norm = "" }},
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
	ok := Default()
	ok.Init, ok.SigmaW2, ok.SigmaB2 = "orthogonal", MaxVariance, MaxVariance
	if err := ok.Validate(); err != nil {
		t.Errorf("largest variances refused: %v", err)
	}
}

// TestSigmaDefaults checks that a summary written before sigma-w2 and
// sigma-b2 existed reads back with σ_w² 1 and σ_b² 0.
func TestSigmaDefaults(t *testing.T) {
	var c Config
	if err := json.Unmarshal([]byte(`{"act":"relu","init":"he-normal"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.SigmaW2 != 1 || c.SigmaB2 != 0 {
		t.Errorf("old run read back with sigma-w2 %g, sigma-b2 %g; want 1, 0", c.SigmaW2, c.SigmaB2)
	}
}

// TestFieldsRoundTrip checks that every field reads back what it writes,
// and that Diff names the first setting that differs and skips the data
// directory.
func TestFieldsRoundTrip(t *testing.T) {
	c := Default()
	c.LR, c.Seed, c.ClipNorm, c.Preset, c.Residual, c.Norm = 3e-4, 1<<40, 0.5, "seed", true, "layernorm"
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

// TestBoolField checks the bool kind: train's flag value, Set's parsing
// and its error, and SetValue with a bool (what a flag hands over).
func TestBoolField(t *testing.T) {
	f, ok := Lookup("residual")
	if !ok || f.Kind() != Bool {
		t.Fatalf("residual: kind %v, want Bool", f.Kind())
	}
	c := Default()
	if f.Get(c) != "false" || f.Value(c) != false {
		t.Errorf("default residual = %q %v, want false", f.Get(c), f.Value(c))
	}
	if err := f.SetValue(&c, true); err != nil || !c.Residual {
		t.Errorf("SetValue(true): %v, residual %v", err, c.Residual)
	}
	var fe *FieldError
	if err := f.Set(&c, "yes please"); !errors.As(err, &fe) || fe.Field != "residual" || !c.Residual {
		t.Errorf("Set(\"yes please\") = %v, residual %v; want a FieldError and no change", err, c.Residual)
	}
	if got := Describe(c); !strings.Contains(got, "residual true, norm none") {
		t.Errorf("Describe = %q, want residual true, norm none", got)
	}
}

// TestUnmarshalOld checks that a configuration written before residual
// and norm existed reads back with their defaults, the values its run was
// trained with, and that keys given win.
func TestUnmarshalOld(t *testing.T) {
	var c Config
	if err := json.Unmarshal([]byte(`{"act":"relu","depth":3,"width":8,"batch":4,"epochs":1,"lr":0.001,"optimizer":"adam","init":"auto","dtype":"float32","seed":1,"dataset":"mnist","data_dir":"d","train_size":0,"test_size":0,"log_every":1,"clip_norm":0,"leaky_slope":0.01,"preset":""}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Residual || c.Norm != "none" || c.Act != "relu" || c.Depth != 3 {
		t.Errorf("old config read as %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	b, _ := json.Marshal(Config{Norm: "layernorm", Residual: true})
	var d Config
	if err := json.Unmarshal(b, &d); err != nil || d != (Config{Norm: "layernorm", Residual: true}) {
		t.Errorf("round trip: %+v, %v", d, err)
	}
}

// TestNonFinite checks that no number a run would write as JSON can be
// infinite or NaN: every float setting, those added later included.
func TestNonFinite(t *testing.T) {
	for _, f := range Fields {
		if f.Kind() != Float {
			continue
		}
		name := f.Name
		for _, x := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
			c := Default()
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

// TestBounds checks the sizes a Config refuses, at and past each bound.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"depth", "1000", true}, {"depth", "1001", false}, {"depth", "9223372036854775807", false},
		{"width", "65536", true}, {"width", "65537", false}, {"width", "4611686018427387904", false},
		{"epochs", "1000000", true}, {"epochs", "1000001", false},
		{"leaky-slope", "1", true}, {"leaky-slope", "1.5", false}, {"leaky-slope", "-0.1", false},
	} {
		c := Default()
		f, _ := Lookup(tc.name)
		if err := f.Set(&c, tc.value); err != nil {
			t.Fatal(err)
		}
		err := c.Validate()
		var fe *FieldError
		if tc.ok != (err == nil) || (err != nil && (!errors.As(err, &fe) || fe.Field != tc.name)) {
			t.Errorf("%s %s: Validate() = %v, want ok %v", tc.name, tc.value, err, tc.ok)
		}
	}
}
