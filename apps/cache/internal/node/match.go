package node

// match reports whether s matches the Redis glob pattern p: * any run,
// ? one byte, [abc], [^a-z] classes, \ escapes.
func match(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if match(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
		case '[':
			if len(s) == 0 {
				return false
			}
			q := p[1:]
			neg := len(q) > 0 && q[0] == '^'
			if neg {
				q = q[1:]
			}
			hit := false
			for len(q) > 0 && q[0] != ']' {
				switch {
				case q[0] == '\\' && len(q) > 1:
					hit = hit || q[1] == s[0]
					q = q[2:]
				case len(q) > 2 && q[1] == '-' && q[2] != ']':
					lo, hi := q[0], q[2]
					if lo > hi {
						lo, hi = hi, lo
					}
					hit = hit || (lo <= s[0] && s[0] <= hi)
					q = q[3:]
				default:
					hit = hit || q[0] == s[0]
					q = q[1:]
				}
			}
			if hit == neg {
				return false
			}
			if len(q) > 0 {
				q = q[1:] // the ']'
			}
			p = q
			s = s[1:]
			continue
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || p[0] != s[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}
