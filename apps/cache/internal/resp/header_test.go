package resp

import "testing"

func TestFastHeader(t *testing.T) {
	for _, tc := range []struct {
		in    string
		n, lf int
		ok    bool
	}{
		{"*3\r\n", 3, 3, true},
		{"*0\r\n", 0, 3, true},
		{"*007\r\n", 7, 5, true},
		{"*123456789012345678\r\n", 123456789012345678, 20, true},
		{"*1234567890123456789\r\n", 0, 0, false}, // 19 digits: the general way
		{"*\r\n", 0, 0, false},
		{"*-1\r\n", 0, 0, false},
		{"*+1\r\n", 0, 0, false},
		{"*3\r", 0, 0, false}, // not complete yet
		{"*3", 0, 0, false},
		{"*3\n", 0, 0, false},
		{"*3x\r\n", 0, 0, false},
	} {
		n, lf, ok := fastHeader([]byte(tc.in), 1)
		if n != tc.n || lf != tc.lf || ok != tc.ok {
			t.Errorf("fastHeader(%q) = %d, %d, %v; want %d, %d, %v", tc.in, n, lf, ok, tc.n, tc.lf, tc.ok)
		}
	}
}
