package node

// match reports whether s matches the Redis glob pattern p: * any run,
// ? one byte, [abc] and [^a-z] classes, \ escapes. It backtracks only to
// the last *, so it takes O(len(p)·len(s)) time on any pattern (a
// hostile KEYS pattern cannot make it exponential).
func match(p, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(p) {
			if p[px] == '*' {
				starP, starS = px, sx
				px++
				continue
			}
			if w, ok := matchOne(p[px:], s[sx]); ok {
				px += w
				sx++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// matchOne matches byte c against the token at the start of p (not a
// *) and returns the token's width.
func matchOne(p string, c byte) (int, bool) {
	switch p[0] {
	case '?':
		return 1, true
	case '\\':
		if len(p) > 1 {
			return 2, p[1] == c
		}
		return 1, c == '\\'
	case '[':
		i := 1
		neg := i < len(p) && p[i] == '^'
		if neg {
			i++
		}
		hit := false
		for i < len(p) && p[i] != ']' {
			switch {
			case p[i] == '\\' && i+1 < len(p):
				hit = hit || p[i+1] == c
				i += 2
			case i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']':
				lo, hi := p[i], p[i+2]
				if lo > hi {
					lo, hi = hi, lo
				}
				hit = hit || (lo <= c && c <= hi)
				i += 3
			default:
				hit = hit || p[i] == c
				i++
			}
		}
		if i < len(p) {
			i++ // the ']'
		}
		return i, hit != neg
	}
	return 1, p[0] == c
}
