#!/usr/bin/env bash
# Regenerate the golden pyc fixtures: fixtures/pyc/sample.<minor>.pyc.bin compiled from
# fixtures/pyc/sample.py by each real interpreter (checked-hash from 3.7, timestamp for 3.6), and
# sample.<minor>.json, the interpreter's own normalised dump of it (scripts/pyc/dump_marshal.py).
# 3.14 comes from Pyodide (scripts/pyc/gen-fixture-314.mts).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=fixtures/pyc
root=$(pyenv root)
export PYTHONHASHSEED=0
for minor in 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13; do
  exe=$(ls -d "$root"/versions/"$minor".*/bin/python"$minor" | sort -V | tail -1)
  "$exe" - "$out/sample.py" "$out/sample.$minor.pyc.bin" <<'PY'
import py_compile, sys
kw = {}
if sys.version_info >= (3, 7):
    kw["invalidation_mode"] = py_compile.PycInvalidationMode.CHECKED_HASH
py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile="/build/pkg/sample.py", doraise=True, **kw)
PY
  "$exe" scripts/pyc/dump_marshal.py "$out/sample.$minor.pyc.bin" > "$out/sample.$minor.json"
  echo "$minor: $(stat -c %s "$out/sample.$minor.pyc.bin") bytes"
done
npx tsx scripts/pyc/gen-fixture-314.mts
