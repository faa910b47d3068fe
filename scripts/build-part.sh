#!/usr/bin/env bash
# Build ONE part's install dir exactly the way craft-parts' python plugin does it
# (craft_parts/plugins/base.py BasePythonPlugin.get_build_commands + python_plugin.py), offline.
#
#   scripts/build-part.sh INSTALL_DIR PYTHON_EXE [PKG ...]
#
# INSTALL_DIR  the part's install dir (parts/<part>/install); made absolute, like the plugin's paths.
# PYTHON_EXE   the interpreter that creates the venv (the plugin runs "$PARTS_PYTHON_INTERPRETER" from PATH).
# PKG ...      python-packages; `pip setuptools wheel` (the plugin's default python-packages) are always
#              installed in the same `pip install -U` call, before the given ones.
#
# Environment honoured, as in the plugin: PARTS_PYTHON_INTERPRETER (default python3; the name of the venv
# interpreter the shebang rewrite and the relink act on), PARTS_PYTHON_VENV_ARGS (default empty),
# CRAFT_STAGE (optional stage dir searched for a bundled interpreter).
# STAGEFIX_INDEX_URL overrides the offline index (default file:///opt/pypi/simple).
# See docs/fixtures.md for the recipe, step by step, and where this deviates from a real build host.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 INSTALL_DIR PYTHON_EXE [PKG ...]" >&2
  exit 2
fi

install_dir=$(realpath -m -- "$1")
python_exe=$2
shift 2

if [ ! -x "$python_exe" ] && ! command -v -- "$python_exe" >/dev/null; then
  echo "build-part: interpreter not found: $python_exe" >&2
  exit 1
fi

# A real build host: pip compiles bytecode, no user/site leakage, and only the offline index is used
# (the machine's pip.conf adds extra indexes and find-links, which would make builds depend on it).
unset PYTHONDONTWRITEBYTECODE PYTHONPATH PYTHONHOME PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_NO_INDEX
export PIP_CONFIG_FILE=/dev/null
export PIP_INDEX_URL=${STAGEFIX_INDEX_URL:-file:///opt/pypi/simple}
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1
export PIP_DEFAULT_TIMEOUT=${PIP_DEFAULT_TIMEOUT:-60}

# The plugin's build environment (get_build_environment).
export PATH="$install_dir/bin:$PATH"
export PARTS_PYTHON_INTERPRETER=${PARTS_PYTHON_INTERPRETER:-python3}
PARTS_PYTHON_VENV_ARGS=${PARTS_PYTHON_VENV_ARGS:-}

# craft-parts runs build.sh in parts/<p>/build; nothing here may read the caller's cwd.
work_dir=$(mktemp -d)
trap 'rm -rf -- "$work_dir"' EXIT
cd "$work_dir"

# 1. The venv (_get_create_venv_commands). VENV_ARGS is deliberately unquoted, as in the plugin.
# shellcheck disable=SC2086
"$python_exe" -m venv $PARTS_PYTHON_VENV_ARGS "$install_dir"
venv_interp="$install_dir/bin/$PARTS_PYTHON_INTERPRETER"

# 2. python-packages (python_plugin.py _get_package_install_commands): one `pip install -U` call.
"$install_dir/bin/pip" install -U pip setuptools wheel "$@"
# (The plugin's `-r requirements` call and `[ -f setup.py ] || [ -f pyproject.toml ] && pip install -U .`
# need a part source; these parts have none, so both are no-ops.)

# 3. Shebang rewrite (_get_rewrite_shebangs_commands): line 1 of every executable regular file, when it
# names the venv interpreter. The path goes into the regex unescaped, exactly like the plugin.
find "$install_dir" -type f -executable -print0 | xargs --no-run-if-empty -0 \
  sed -i "1 s|^#\\!${venv_interp}.*\$|#!/usr/bin/env ${PARTS_PYTHON_INTERPRETER}|"

# 4. Relink the venv interpreter (_get_find_python_interpreter_commands + _get_handle_symlinks_commands):
# look for an interpreter of the same basename bundled under usr/bin of the install (or stage) dir; else
# the system interpreter. craft-parts' default asks `readlink -f "$(which python3)"`, which with
# PATH=<install>/bin first resolves the venv's own link to the build host's interpreter; on the base
# that is /usr/bin/python3.X. This host is not the base, so we use /usr/bin/<basename>, which dangles here
# exactly as the plugin's link dangles anywhere but on the base (docs/fixtures.md).
base_name=$(basename "$(readlink -f "$venv_interp")")
payload_python=$(find "$install_dir/usr/bin" ${CRAFT_STAGE:+"$CRAFT_STAGE/usr/bin"} -type f -executable \
  -name "$base_name" -print -quit 2>/dev/null || true)
if [ -n "$payload_python" ]; then
  installed_python=${payload_python#"$install_dir"}
  if [ "$installed_python" = "$payload_python" ]; then
    symlink_target="..${payload_python#"$CRAFT_STAGE"}"
  else
    symlink_target="..$installed_python"
  fi
else
  symlink_target="/usr/bin/$base_name"
fi
ln -sf "$symlink_target" "$venv_interp"
