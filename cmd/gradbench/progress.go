package main

import (
	"os"

	"github.com/gradbench/gradbench/cmd/internal/progress"
	"github.com/urfave/cli/v2"
)

// progressFor returns the progress of total runs on stderr, nil under
// --quiet.
func progressFor(c *cli.Context, total int) *progress.Runs {
	if c.Bool("quiet") {
		return nil
	}
	return progress.New(os.Stderr, total)
}
