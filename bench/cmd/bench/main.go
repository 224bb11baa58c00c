// Command bench runs libgossip and hashicorp/memberlist side by side on
// loopback, plus libgossip's simulator at scale, and rewrites
// BENCHMARKS.md and the Pareto plot it links.
//
//	go run ./bench/cmd/bench -out BENCHMARKS.md -svg bench/pareto.svg
//
// The default set takes about 15 minutes on two cores. -short runs every
// scenario tiny, in seconds, to check the harness.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/libgossip/libgossip/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, progress io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	out := fs.String("out", "BENCHMARKS.md", "Markdown file to rewrite")
	svg := fs.String("svg", "bench/pareto.svg", "SVG plot to rewrite")
	jsonOut := fs.String("json", "", "also write the raw results as JSON to this file")
	short := fs.Bool("short", false, "run the tiny plan (seconds) instead of the default set")
	runs := fs.Int("runs", 0, "repetitions of every case (default: the plan's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := bench.DefaultPlan()
	if *short {
		p = bench.ShortPlan()
	}
	if *runs > 0 {
		p.Runs = *runs
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := p.Execute(ctx, progress)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(*out), *svg)
	if err != nil {
		rel = *svg
	}
	var md, pic bytes.Buffer
	cmd := "go run ./bench/cmd/bench " + strings.Join(args, " ")
	if err := res.WriteMarkdown(&md, filepath.ToSlash(rel), strings.TrimSpace(cmd)); err != nil {
		return err
	}
	if err := res.WriteSVG(&pic); err != nil {
		return err
	}
	if err := os.WriteFile(*out, md.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(*svg, pic.Bytes(), 0o644); err != nil {
		return err
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "wrote %s and %s in %s\n", *out, *svg, res.Wall.Round(1e9))
	return nil
}
