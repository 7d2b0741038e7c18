package slurm

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestIndexList checks the --array lists written and read back.
func TestIndexList(t *testing.T) {
	for _, tc := range []struct {
		idx  []int
		want string
	}{
		{[]int{0}, "0"},
		{[]int{0, 1, 2, 3}, "0-3"},
		{[]int{3, 7}, "3,7"},
		{[]int{1, 2, 3, 7, 9, 10}, "1-3,7,9-10"},
	} {
		if got := IndexList(tc.idx); got != tc.want {
			t.Errorf("IndexList(%v) = %q, want %q", tc.idx, got, tc.want)
		}
		if back, err := ParseIndexList(tc.want + "%2"); err != nil || !slices.Equal(back, tc.idx) {
			t.Errorf("ParseIndexList(%q) = %v, %v", tc.want, back, err)
		}
	}
	for _, bad := range []string{"", "N/A", "3-1", "a-b"} {
		if _, err := ParseIndexList(bad); err == nil {
			t.Errorf("ParseIndexList(%q): no error", bad)
		}
	}
}

// oneLineError checks a bad-input exit: code 2, one line naming want.

// Recorded output of squeue --me --noheader --array --states=all
// --format=%F|%K|%T and of sacct --parsable2 --format=JobID,State on a
// one-node cluster: a pending array range, running and ended tasks, a
// plain job and a step line.
const (
	squeueText = `100|0|COMPLETED
100|1|RUNNING
100|2-4%2|PENDING
101|N/A|RUNNING
102|0|TIMEOUT
`
	sacctText = `100_0|COMPLETED
100_0.batch|COMPLETED
100_[5-6]|PENDING
102_1|CANCELLED by 0
103|FAILED
`
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  map[Task]string
		want map[Task]string
	}{
		{"squeue", ParseSqueue(squeueText), map[Task]string{{"100", 0}: "COMPLETED", {"100", 1}: "RUNNING", {"100", 2}: "PENDING",
			{"100", 3}: "PENDING", {"100", 4}: "PENDING", {"102", 0}: "TIMEOUT"}},
		{"sacct", ParseSacct(sacctText), map[Task]string{{"100", 0}: "COMPLETED", {"100", 5}: "PENDING", {"100", 6}: "PENDING",
			{"102", 1}: "CANCELLED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !maps.Equal(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestPhaseOf(t *testing.T) {
	for state, want := range map[string]Phase{"": Unknown, "PENDING": Pending, "REQUEUED": Pending, "RUNNING": Running,
		"COMPLETING": Running, "COMPLETED": Ended, "TIMEOUT": Ended, "CANCELLED": Ended, "OUT_OF_MEMORY": Ended} {
		if got := PhaseOf(state); got != want {
			t.Errorf("PhaseOf(%q) = %v, want %v", state, got, want)
		}
	}
}

func TestScript(t *testing.T) {
	s := Script("job", []string{"/opt/gradbench", "sweep", "run-task", "/data/sw eep"}, 4, "/data", "/data/logs", Options{CPUs: 2, Mem: "2G"})
	for _, want := range []string{"#SBATCH --array=0-3\n", "#SBATCH --output=/data/logs/%A_%a.out\n", "#SBATCH --cpus-per-task=2\n",
		"#SBATCH --mem=2G\n", `exec /opt/gradbench sweep run-task '/data/sw eep' "$SLURM_ARRAY_TASK_ID"`} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "--partition") || strings.Contains(s, "--time") {
		t.Errorf("unset options written:\n%s", s)
	}
	for _, o := range []Options{{CPUs: 0}, {CPUs: 1, Mem: "2 G"}, {CPUs: 1, Time: "1h"}, {CPUs: 1, Partition: "a b"}} {
		if o.Check() == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if CheckPath("/a/b") != nil || CheckPath("/a b") == nil || CheckPath("/a$b") == nil {
		t.Error("CheckPath")
	}
}
