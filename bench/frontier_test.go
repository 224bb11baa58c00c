package bench

import "testing"

// TestLabelsDoNotOverlap: labels of points at nearly the same place are
// moved apart, alternately below and above, and a free spot is kept.
func TestLabelsDoNotOverlap(t *testing.T) {
	var ls labels
	x0, y0 := ls.place(100, 100, "fast")
	if x0 != 100 || y0 != 100 {
		t.Fatalf("first label moved to (%v, %v)", x0, y0)
	}
	_, y1 := ls.place(102, 101, "fast-s1")
	_, y2 := ls.place(101, 99, "fast-nodamp")
	ys := []float64{y0, y1, y2}
	for i := range ys {
		for j := i + 1; j < len(ys); j++ {
			if d := ys[i] - ys[j]; d > -12 && d < 12 {
				t.Errorf("labels %d and %d are %v px apart, want at least a line (12 px)", i, j, d)
			}
		}
	}
	if _, y := ls.place(400, 100, "far"); y != 100 {
		t.Errorf("a label with room was moved to y %v", y)
	}
}
