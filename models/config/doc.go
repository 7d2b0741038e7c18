// Package config is the configuration of one gradbench training run: the
// Config struct, its defaults and presets, and Fields, the one table of its
// settings. Train's command-line flags, a sweep grid's keys, the
// checkpoint's configuration comparison (Diff) and the run description
// (Describe) are all generated from Fields, so adding a setting is one
// entry there plus its check.
//
// The package names values, never flags: an error about a setting is a
// *FieldError naming the setting and its value, which the command line
// maps to its flag.
package config
