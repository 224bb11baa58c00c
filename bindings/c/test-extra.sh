#!/usr/bin/env bash
# Run by scripts/test.sh after this module's Go tests: builds the C
# libraries and installs them with the header into a temporary prefix,
# compiles the C tests and the C example with gcc against the installed
# header, runs them against the shared and the static library, then runs
# the Python package's tests and example against the shared library.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
CC=${CC:-gcc}
CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O1 -g -I"$prefix/include")

echo "--- building libgossip (c-shared, c-archive)"
./build.sh "$prefix" >/dev/null

for t in test_capi test_lifecycle test_events; do
  echo "--- C tests: $t (shared library)"
  $CC "${CFLAGS[@]}" "tests/$t.c" -L"$prefix/lib" -lgossip -lpthread \
    -Wl,-rpath,"$prefix/lib" -o "$prefix/$t"
  timeout 120 "$prefix/$t"

  echo "--- C tests: $t (static library)"
  $CC "${CFLAGS[@]}" "tests/$t.c" "$prefix/lib/libgossip.a" -lpthread -o "$prefix/${t}_static"
  timeout 120 "$prefix/${t}_static"
done

echo "--- examples/simple_cluster_c"
$CC "${CFLAGS[@]}" "$root/examples/simple_cluster_c/main.c" -L"$prefix/lib" -lgossip -lpthread \
  -Wl,-rpath,"$prefix/lib" -o "$prefix/simple_cluster_c"
out=$(timeout 60 "$prefix/simple_cluster_c")
echo "$out" | tail -3
for want in "cluster formed: 3 live members" "role=primary" "node-3 failure detected by 2 members" \
  "event left    node-2" "done: formed, failure detected, leave seen"; do
  if ! grep -qF -- "$want" <<<"$out"; then
    echo "simple_cluster_c output lacks: $want" >&2
    echo "$out" >&2
    exit 1
  fi
done

py="$root/bindings/python"
if [ -f "$py/tests/__init__.py" ] && command -v python3 >/dev/null; then
  echo "--- Python tests"
  export LIBGOSSIP_LIBRARY="$prefix/lib/libgossip.so"
  (cd "$py" && timeout 120 python3 -m unittest discover -s tests -t . 2>&1)
  if [ -f "$root/examples/python_cluster/main.py" ]; then
    echo "--- examples/python_cluster"
    out=$(cd "$root" && PYTHONPATH="$py" timeout 60 python3 examples/python_cluster/main.py)
    echo "$out" | tail -3
    grep -qF "done: formed, failure detected, leave seen" <<<"$out" || { echo "$out" >&2; exit 1; }
  fi
  echo "--- pip install ./bindings/python (offline, into a fresh venv) and the issue's snippet"
  cp -r "$py" "$prefix/pysrc"
  rm -rf "$prefix/pysrc/tests"
  cp "$prefix/lib/libgossip.so" "$prefix/pysrc/libgossip/"
  python3 -m venv "$prefix/venv"
  "$prefix/venv/bin/pip" install --no-index -q "$prefix/pysrc"
  (cd "$prefix" && env -u LIBGOSSIP_LIBRARY "$prefix/venv/bin/python" - <<'PY'
import libgossip
node = libgossip.node_view()
node.ip = "127.0.0.1"
node.port = 8000
core = libgossip.gossip_core(node)
core.tick()
assert libgossip.library_path().endswith("site-packages/libgossip/libgossip.so"), libgossip.library_path()
import os
assert os.path.exists(os.path.join(os.path.dirname(libgossip.__file__), "py.typed")), "py.typed not installed"
print("installed package works:", core.members())
PY
  )
fi
echo "--- bindings/c: all extra tests passed"
