package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPurity holds the core and the wire codec to STYLE.md §4: no I/O, no
// clock reads, no goroutines, channels or locks, no global randomness.
func TestPurity(t *testing.T) {
	allowed := map[string]bool{
		"encoding/binary": true, "errors": true, "fmt": true, "hash/fnv": true,
		"math": true, "math/bits": true, "math/rand/v2": true, "slices": true,
		"strings": true, "time": true,
		"github.com/libgossip/libgossip/gossip/wire": true,
		// hash/maphash seeds the id index's layout (idindex.go) as Go
		// seeds its maps: no result of the core depends on the seed.
		"hash/maphash": true,
	}
	forbiddenCalls := map[string]map[string]bool{
		"time": {"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
			"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true},
		// Only constructors of explicit sources are allowed from math/rand/v2.
		"rand": {"Int": true, "IntN": true, "Int64": true, "Int64N": true, "Uint32": true,
			"Uint64": true, "Float64": true, "Shuffle": true, "Perm": true, "N": true, "Int32N": true},
	}
	for _, dir := range []string{".", "../wire"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !allowed[p] {
					t.Errorf("%s imports %s", f, p)
				}
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					t.Errorf("%s: go statement at %v", f, fset.Position(n.Pos()))
				case *ast.ChanType:
					t.Errorf("%s: channel at %v", f, fset.Position(n.Pos()))
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && forbiddenCalls[id.Name][n.Sel.Name] {
						t.Errorf("%s: %s.%s at %v", f, id.Name, n.Sel.Name, fset.Position(n.Pos()))
					}
				}
				return true
			})
		}
	}
}
