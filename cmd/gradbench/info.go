package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"

	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/urfave/cli/v2"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "print the build, the GPU and where each op of a training graph runs",
		Description: "Compiles the training graph of one network (784 inputs, 10 classes) " +
			"on this binary's TapeMachine and lists its ops by kind: on the GPU (CUDA build) " +
			"or the CPU, with the kernel or library each uses.",
		Flags: append(networkFlags("gelu"),
			conventions.JSONFlag("also write the information to this JSON file"),
		),
		Action: infoAction,
	}
}

// info is what gradbench info prints.
type info struct {
	Build     string            `json:"build"`
	BLAS      string            `json:"blas"`
	Go        string            `json:"go"`
	GPU       *graph.DeviceInfo `json:"gpu,omitempty"`
	NoGPU     string            `json:"no_gpu,omitempty"`
	Graph     string            `json:"graph"`
	Placement []graph.OpPlace   `json:"placement"`
	Config    config.Config     `json:"config"`
}

func infoAction(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("unexpected argument %q: info takes flags only", c.Args().First())
	}
	cfg, err := networkConfig(c)
	if err != nil {
		return err
	}
	in := info{Build: "cpu", BLAS: graph.BLAS, Go: runtime.Version(), Config: cfg}
	if graph.CUDA {
		in.Build = "cuda"
	}
	if d, err := graph.Device(); err != nil {
		in.NoGPU = err.Error()
	} else {
		in.GPU = &d
	}
	m, err := models.NewModel(cfg, 784, 10, 1)
	if err != nil {
		return err
	}
	defer m.Close()
	in.Placement = m.Placement()
	in.Graph = fmt.Sprintf("%s, 784 → %d×%d → 10, batch %d, %s", cfg.Act, cfg.Depth, cfg.Width, cfg.Batch, cfg.Dtype)
	printInfo(c.App.Writer, in)
	if p := c.String("json"); p != "" {
		if err := rundir.WriteJSON(p, in); err != nil {
			return err
		}
	}
	return nil
}

func printInfo(w io.Writer, in info) {
	fmt.Fprintf(w, "build   %s (CPU matrix products: %s), %s\n", in.Build, in.BLAS, in.Go)
	if in.GPU != nil {
		fmt.Fprintf(w, "GPU     %s\n", in.GPU)
	} else {
		fmt.Fprintf(w, "GPU     none: %s\n", in.NoGPU)
	}
	fmt.Fprintf(w, "graph   %s (training graph: forward, loss, backward)\n\n", in.Graph)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "where\tnodes\top\tthrough")
	for _, p := range in.Placement {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", p.Where, p.Count, p.Op, p.Detail)
	}
	tw.Flush()
}
