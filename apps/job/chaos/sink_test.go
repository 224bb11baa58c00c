package chaos

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

// The sink is a file every job run appends one line to, from a shell
// command: "JOB SCHEDULED NODE\n". The shell opens it with O_APPEND and
// writes the line in one write(2), so concurrent lines do not interleave.
// It checks idempotency: a (job, scheduled time) seen twice is a duplicate
// start.

// sinkCommand is the job's argv: append the line, then stay busy for a
// while, so that a member can be stopped while it runs a job.
func sinkCommand(busy time.Duration) []string {
	return []string{"/bin/sh", "-c",
		fmt.Sprintf(`printf '%%s %%s %%s\n' "$JOB_NAME" "$JOB_SCHEDULED" "$JOB_NODE" >> "$SINK"; sleep %.1f`, busy.Seconds())}
}

// sinkLine is one run's line.
type sinkLine struct {
	job  string
	at   time.Time
	node string
}

func (l sinkLine) key() string { return l.job + "@" + l.at.UTC().Format(time.RFC3339Nano) }

// parseSinkLine parses "JOB SCHEDULED NODE".
func parseSinkLine(s string) (sinkLine, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return sinkLine{}, fmt.Errorf("sink line %q: want 3 fields", s)
	}
	at, err := time.Parse(time.RFC3339Nano, f[1])
	if err != nil {
		return sinkLine{}, fmt.Errorf("sink line %q: %v", s, err)
	}
	return sinkLine{job: f[0], at: at.UTC(), node: f[2]}, nil
}

// readSink reads every line of the sink file from byte offset off and
// returns them with the offset after the last complete line.
func readSink(path string, off int64) ([]sinkLine, int64, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, off, nil
	}
	if err != nil {
		return nil, off, err
	}
	defer f.Close()
	if _, err := f.Seek(off, 0); err != nil {
		return nil, off, err
	}
	var out []sinkLine
	r := bufio.NewReader(f)
	for {
		s, err := r.ReadString('\n')
		if err != nil {
			return out, off, nil // EOF, or a line not complete yet
		}
		off += int64(len(s))
		l, perr := parseSinkLine(s)
		if perr != nil {
			return out, off, perr
		}
		out = append(out, l)
	}
}
