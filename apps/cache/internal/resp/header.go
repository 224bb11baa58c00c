package resp

// maxFastDigits is the most digits fastHeader reads: any 18-digit number
// fits an int.
const maxFastDigits = 18

// fastHeader reads the common form of a header's number at b[i:]: 1 to
// 18 ASCII digits and CRLF. It returns the number and the index of the
// LF, or ok false for anything else (a sign, more digits, another
// terminator, input not yet complete), which callers then read the
// general way. A header it accepts reads the same the general way.
func fastHeader(b []byte, i int) (n, lf int, ok bool) {
	j := i
	for j < len(b) && j-i <= maxFastDigits {
		c := b[j]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		j++
	}
	if j == i || j-i > maxFastDigits || j+1 >= len(b) || b[j] != '\r' || b[j+1] != '\n' {
		return 0, 0, false
	}
	return n, j + 1, true
}
