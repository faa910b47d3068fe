#!/usr/bin/env bash
# Build the example craft project: five python-plugin parts in parts/<name>/install, plus snapcraft.yaml.
#
#   scripts/build-fixtures.sh [--out DIR] [--force] [--example]
#
# --out DIR   where to build (default <repo>/fixtures/.build/example, gitignored). The absolute build path
#             ends up inside every pyc, activate script and pyvenv.cfg, so keep it stable.
# --force     rebuild parts that are already built.
# --example   after building, write the trimmed copy committed as <repo>/example (scripts/fixtures/trim.ts).
# See docs/fixtures.md.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo/fixtures/.build/example"
force=0
example=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --force) force=1; shift ;;
    --example) example=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build-fixtures: unknown argument: $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m -- "$out")

# name | python minor | PARTS_PYTHON_INTERPRETER | python-packages (space separated; pip setuptools wheel are
# always first, see build-part.sh). The order here is the order in snapcraft.yaml. test/fixtures/recipe.ts
# reads this table to check example/ against it: keep one quoted entry per line.
parts=(
  "flask-a|3.11|python3|flask==3.1.3"
  "flask-b|3.11|python3|flask==3.1.3 requests"
  "numpy-old|3.11|python3|numpy==1.26.4"
  "numpy-new|3.11|python3|numpy==2.2.6"
  "click-py312|3.12|python3.12|click"
)

# Same search as test/helpers/python.ts findPython: pyenv's versions dir (newest first), then PATH
# without pyenv shims; the candidate must report that minor version.
pyenv_root() {
  if [ -n "${PYENV_ROOT:-}" ]; then echo "$PYENV_ROOT"
  elif command -v pyenv >/dev/null && pyenv root 2>/dev/null; then :
  else echo "$HOME/.pyenv"; fi
}
find_python() {
  local minor=$1 root candidates=() v dir exe got
  root=$(pyenv_root)
  if [ -d "$root/versions" ]; then
    while IFS= read -r v; do
      case "$v" in "$minor"|"$minor".*) candidates+=("$root/versions/$v/bin/python$minor") ;; esac
    done < <(ls -1 "$root/versions" | LC_ALL=C sort -r)
  fi
  local IFS=:
  for dir in $PATH; do
    case "$dir" in ''|*.pyenv/shims*) ;; *) candidates+=("$dir/python$minor") ;; esac
  done
  for exe in "${candidates[@]}"; do
    [ -x "$exe" ] || continue
    got=$(PYENV_VERSION='' "$exe" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    if [ "$got" = "$minor" ]; then echo "$exe"; return 0; fi
  done
  echo "build-fixtures: python$minor not found in $(pyenv_root)/versions or on PATH" >&2
  return 1
}

write_snapcraft_yaml() {
  local entry name minor interp pkgs pkg
  {
    cat <<'YAML'
name: stagefix-example
base: core24
version: '0.1'
summary: Five python parts whose install dirs collide when staged
description: |
  Built by stagefix's scripts/build-fixtures.sh with the craft-parts python plugin recipe
  (scripts/build-part.sh). Two flask parts share every file but pyc bytes, activate scripts and
  RECORDs; two numpy versions really conflict; click-py312 uses another interpreter.
grade: devel
confinement: strict

parts:
YAML
    for entry in "${parts[@]}"; do
      IFS='|' read -r name minor interp pkgs <<<"$entry"
      echo "  $name:"
      echo "    plugin: python"
      echo "    source: ."
      echo "    python-packages:"
      for pkg in pip setuptools wheel $pkgs; do echo "      - $pkg"; done
      if [ "$interp" != python3 ]; then
        echo "    build-environment:"
        echo "      - PARTS_PYTHON_INTERPRETER: $interp"
      fi
    done
  } >"$out/snapcraft.yaml"
}

mkdir -p "$out/parts"
write_snapcraft_yaml
start=$(date +%s)
for entry in "${parts[@]}"; do
  IFS='|' read -r name minor interp pkgs <<<"$entry"
  part="$out/parts/$name"
  exe=$(find_python "$minor")
  # The stamp lives beside install/, never inside it (install/ is what gets staged and scanned).
  stamp="$part/.stagefix-build"
  want="$exe|$interp|$pkgs"
  if [ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "build-fixtures: $name already built ($stamp)"
    continue
  fi
  echo "build-fixtures: building $name with $exe: $pkgs"
  rm -rf -- "$part"
  mkdir -p "$part"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  if ! PARTS_PYTHON_INTERPRETER=$interp "$repo/scripts/build-part.sh" "$part/install" "$exe" $pkgs \
      >"$part/build.log" 2>&1; then
    tail -n 30 "$part/build.log" >&2
    echo "build-fixtures: $name failed; log in $part/build.log" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
  echo "build-fixtures: $name built in $(( $(date +%s) - t0 ))s"
done
echo "build-fixtures: project at $out ($(( $(date +%s) - start ))s)"

if [ "$example" = 1 ]; then
  (cd "$repo" && npx --no-install tsx scripts/fixtures/trim.ts "$out" "$repo/example")
fi
