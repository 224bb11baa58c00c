#!/usr/bin/env python3
"""Issue 9's make-bench check: compare libgossip's column of the LAN and
matched-pair tables of two BENCHMARKS.md files.

    git show 827dd30^:BENCHMARKS.md > /tmp/base.md
    scripts/bench-compare.py /tmp/base.md BENCHMARKS.md

Every figure in those tables is better lower. A figure counts as worse
when the new median exceeds the base median by more than the base's
min-max spread. Prints every figure (WORSE marks the failures) and the
count; exits 1 when any figure is worse or missing."""
import re
import sys


def tables(path):
    out, sec = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                t = line[3:].strip()
                sec = t if t.startswith(("LAN defaults", "Matched pair")) else None
                continue
            if not sec or not line.startswith("| ") or line.startswith(("| figure", "|---")):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            m = re.match(r"≥?(-?[\d.]+)(?: \((-?[\d.]+)–(-?[\d.]+)\))?", cells[1])
            if m:
                v = float(m.group(1))
                lo, hi = float(m.group(2) or v), float(m.group(3) or v)
                out[(sec, cells[0])] = (v, lo, hi, cells[1])
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    base, new = tables(sys.argv[1]), tables(sys.argv[2])
    bad = 0
    for key, (v, lo, hi, cell) in base.items():
        if key not in new:
            print(f"MISSING {key[0]}: {key[1]}")
            bad += 1
            continue
        worse = new[key][0] - v > (hi - lo) + 1e-9
        bad += worse
        print(f"{'WORSE ' if worse else '      '}{key[0][:28]:28} {key[1][:34]:34} {cell:28} -> {new[key][3]}")
    print(f"{bad} of {len(base)} worse or missing")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
