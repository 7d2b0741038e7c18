package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models"
	"github.com/urfave/cli/v2"
)

// trainInto trains cfg, recording into dir, from the checkpoint ck when it
// is not nil. The checkpoint and summary.json in dir are rewritten at
// every checkpoint and when training ends or stops.
func trainInto(ctx context.Context, cfg models.Config, ds *data.Dataset, dir string, ck *models.Checkpoint, every int, progress func(models.Progress)) (*models.Summary, error) {
	var rec *metrics.Recorder
	var err error
	if ck != nil {
		rec, err = metrics.Reopen(dir, ck.State.Offsets)
	} else {
		rec, err = metrics.Create(dir)
	}
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	hooks := models.Hooks{Progress: progress, CheckpointEvery: every, Checkpoint: func(c *models.Checkpoint) error {
		if err := models.WriteCheckpoint(filepath.Join(dir, models.CheckpointFile), c); err != nil {
			return err
		}
		return metrics.WriteJSON(filepath.Join(dir, metrics.SummaryFile), &c.State.Summary)
	}}
	return models.Train(ctx, cfg, ds, rec, ck, hooks)
}

// readResume reads the checkpoint of the run in dir. A flag the user gave
// that would change the run's configuration is an error; --data-dir may
// point elsewhere, since it changes no number.
func readResume(c *cli.Context, dir string) (*models.Checkpoint, error) {
	if c.IsSet("preset") {
		return nil, usagef("--resume continues a run as it was configured: drop --preset")
	}
	ck, err := models.ReadCheckpoint(filepath.Join(dir, models.CheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef("no checkpoint in %s: it is not a run directory, or the run was written by an older gradbench; start it again without --resume", dir)
	}
	if err != nil {
		return nil, usagef("%v: start the run again without --resume", err)
	}
	given := ck.Config
	applyFlags(c, &given)
	if d := configDiff(ck.Config, given); d != "" {
		return nil, usagef("--resume continues a run as it was configured, but %s; drop the flag or start a new run", d)
	}
	if err := ck.Config.Validate(); err != nil {
		return nil, usagef("checkpoint in %s: %v", dir, err)
	}
	return ck, nil
}

// configDiff names the first setting (other than the data directory) in
// which b differs from a, as "--name X differs from the run's Y".
func configDiff(a, b models.Config) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if name == "data_dir" || reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			continue
		}
		return fmt.Sprintf("--%s %v differs from the run's %v", strings.ReplaceAll(name, "_", "-"), vb.Field(i).Interface(), va.Field(i).Interface())
	}
	return ""
}

// finished reports whether a checkpoint's run has nothing left to do.
func finished(ck *models.Checkpoint) bool {
	s := ck.State.Summary.Status
	return s == models.StatusFinished || s == models.StatusDiverged
}
