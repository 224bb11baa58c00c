// Command modproxy writes a Go module proxy directory (the layout GOPROXY
// serves, usable as GOPROXY=file://DIR) holding this checkout's modules at
// one version, so that a build outside the workspace can resolve them
// offline the way a user's `go get` resolves published tags:
//
//	go run ./scripts/modproxy -version v0.1.0 -out /tmp/proxy gossip net utils
//
// For each module directory it writes
//
//	DIR/<module path>/@v/<version>.info   {"Version":..., "Time":...}
//	DIR/<module path>/@v/<version>.mod    the module's go.mod
//	DIR/<module path>/@v/<version>.zip    the module's files under <module>@<version>/
//	DIR/<module path>/@v/list             the version
//
// The zip follows the module zip rules of the go command: the files git
// tracks in the module directory (plus untracked, not ignored ones), without
// subdirectories that hold another go.mod, vendor directories or
// non-regular files. It is run with GOWORK=off from the repository root
// and uses only the standard library.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"
)

func main() {
	version := flag.String("version", "", "the version to publish, e.g. v0.1.0")
	out := flag.String("out", "", "the proxy directory to write")
	flag.Parse()
	if *version == "" || *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: modproxy -version vX.Y.Z -out DIR moduledir...")
		os.Exit(2)
	}
	t := commitTime()
	for _, dir := range flag.Args() {
		mod, err := writeModule(*out, dir, *version, t)
		if err != nil {
			fmt.Fprintf(os.Stderr, "modproxy: %s: %v\n", dir, err)
			os.Exit(1)
		}
		fmt.Printf("%s@%s\n", mod, *version)
	}
}

// commitTime is HEAD's commit time, or now outside git.
func commitTime() time.Time {
	b, err := exec.Command("git", "log", "-1", "--format=%cI").Output()
	if err == nil {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err == nil {
			return t.UTC()
		}
	}
	return time.Now().UTC()
}

func writeModule(out, dir, version string, t time.Time) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	mod := modulePath(gomod)
	if mod == "" {
		return "", errors.New("go.mod has no module line")
	}
	esc, err := escapePath(mod)
	if err != nil {
		return "", err
	}
	vdir := filepath.Join(out, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", err
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, t})
	files := map[string][]byte{
		version + ".info": info,
		version + ".mod":  gomod,
		"list":            []byte(version + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	return mod, writeZip(filepath.Join(vdir, version+".zip"), dir, mod+"@"+version)
}

// modulePath returns the path on the module line of a go.mod.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// escapePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form.
func escapePath(p string) (string, error) {
	var b strings.Builder
	for _, r := range p {
		switch {
		case r == '!' || r > unicode.MaxASCII:
			return "", fmt.Errorf("module path %q: unsupported character %q", p, r)
		case unicode.IsUpper(r):
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// moduleFiles lists the files of the module in dir, slash-separated and
// relative to dir, sorted.
func moduleFiles(dir string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-co", "--exclude-standard", "-z", ".")
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	nested := map[string]bool{} // directories holding another module
	var cand []string
	for _, f := range strings.Split(string(b), "\x00") {
		if f == "" {
			continue
		}
		if path.Base(f) == "go.mod" && f != "go.mod" {
			nested[path.Dir(f)] = true
		}
		cand = append(cand, f)
	}
	var files []string
	for _, f := range cand {
		if inNested(f, nested) || hasElem(f, "vendor") {
			continue
		}
		st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			return nil, err
		}
		if st.Mode().IsRegular() {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files, nil
}

func inNested(f string, nested map[string]bool) bool {
	for d := path.Dir(f); d != "." && d != "/"; d = path.Dir(d) {
		if nested[d] {
			return true
		}
	}
	return false
}

func hasElem(f, elem string) bool {
	for _, e := range strings.Split(path.Dir(f), "/") {
		if e == elem {
			return true
		}
	}
	return false
}

func writeZip(name, dir, prefix string) error {
	files, err := moduleFiles(dir)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		w, err := zw.Create(prefix + "/" + f)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}
