#!/usr/bin/env python3
"""Independent oracle for craft-parts' stage collision check (craft_parts/executor/collisions.py,
filesets.py, permissions.py, parts.py:sort_parts), reporting every pair and every path instead of
raising at the first conflicting pair. stdlib only, Python 3.8+. It calls pathlib, os, filecmp and
fnmatch the way craft-parts does, so its answers follow the running interpreter's pathlib (run it with
the Python the craft tool uses: 3.12 for snapcraft 8 on core24, 3.10 on core22).

Usage:
  craft_collisions.py PROJECT_DIR [--parts-json FILE]
      prints [{"earlier": a, "later": b, "path": p}, ...] sorted by (earlier, later, path)
  craft_collisions.py --stage-set DIR [--stage JSON_LIST]
      prints the sorted migratable set (files and dirs) of one install dir, or {"error": ...}
  craft_collisions.py --batch   (JSON on stdin: {"op": "links"|"pc", "pairs": [[a, b], ...]})
      prints a JSON list of booleans (True = collide)
"""
import filecmp
import json
import os
import sys
from fnmatch import fnmatch
from pathlib import Path


def _is_relative_to(path, other):
    try:
        path.relative_to(other)
        return True
    except ValueError:
        return False


# --- filesets.py ---------------------------------------------------------------------------------

def split_entries(entries):
    includes, excludes = [], []
    for item in entries:
        if item.startswith("-"):
            excludes.append(item[1:])
        elif item.startswith("\\"):
            includes.append(item[1:])
        else:
            includes.append(item)
    return includes or ["*"], excludes


def include_set(directory, includes):
    found = set()
    for include in includes:
        if "*" in include:
            found |= set(directory.glob(include))
            if not include.startswith("."):
                for hidden in directory.glob("." + include):
                    found -= {hidden, *hidden.glob(include)}
        else:
            found |= {directory / include}
    walk_roots = [x for x in found if x.is_dir() and not x.is_symlink()]
    rel = {x.relative_to(directory) for x in found}
    for top in walk_roots:
        for root, dirs, files in os.walk(top):
            rroot = Path(root).relative_to(directory)
            rel.update(rroot / n for n in dirs)
            rel.update(rroot / n for n in files)
    return rel


def exclude_set(directory, excludes):
    found = set()
    for exclude in excludes:
        found |= set(directory.glob(exclude))
    dirs = {x.relative_to(directory) for x in found if x.is_dir()}
    return {x.relative_to(directory) for x in found}, dirs


class ParentResolver:
    def __init__(self, base):
        self.base = base
        self.real_base = base.resolve()
        self.cache = {}

    def resolve(self, rel):
        parts = rel.parts
        if not parts:
            return Path()
        parent = parts[:-1]
        if not parent:
            return Path(parts[-1])
        real = self.cache.get(parent)
        if real is None:
            real = self.base.joinpath(*parent).resolve().relative_to(self.real_base)
            self.cache[parent] = real
        return Path(real, parts[-1])


def migratable(entries, srcdir):
    srcdir = Path(srcdir)
    includes, excludes = split_entries(entries)
    inc = include_set(srcdir, includes)
    exc_files, exc_dirs = exclude_set(srcdir, excludes)
    files = inc - exc_files
    for d in exc_dirs:
        files = {x for x in files if not _is_relative_to(x, d)}
    dirs = {x for x in files if (srcdir / x).is_dir() and not (srcdir / x).is_symlink()}
    files = files - dirs
    if not files and not dirs:
        return files, dirs
    resolver = ParentResolver(srcdir)
    rfiles = {resolver.resolve(f) for f in files}
    for f in rfiles:
        d = f.parent
        while d != Path():
            dirs.add(d)
            d = d.parent
    rdirs = {resolver.resolve(d) for d in dirs}
    return rfiles, rdirs


# --- permissions.py --------------------------------------------------------------------------------

def perm_applies(spec, path):
    pat = spec.get("path", "*")
    return pat == "*" or fnmatch(str(path), pat)


def perms_compatible(left, right):
    if not left or not right:
        return True

    def squash(specs):
        out = {"owner": None, "group": None, "mode": None}
        for s in specs:
            for k in out:
                if s.get(k) is not None:
                    out[k] = s[k]
        return out

    a, b = squash(left), squash(right)
    if a["owner"] != b["owner"] or a["group"] != b["group"]:
        return False
    if a["mode"] is None and b["mode"] is None:
        return True
    if a["mode"] is None or b["mode"] is None:
        return False
    return int(a["mode"], base=8) == int(b["mode"], base=8)


# --- collisions.py ---------------------------------------------------------------------------------

def readlink(p):
    return Path(os.readlink(str(p)))


def file_collides(this, other):
    if this.suffix != ".pc":
        return not filecmp.cmp(str(this), str(other), shallow=False)
    with this.open() as f1, other.open() as f2:
        for l1, l2 in zip(f1, f2):
            if l1.startswith("prefix=") and l2.startswith("prefix="):
                continue
            if l1 != l2:
                return True
    return False


def paths_collide(p1, p2, perms1, perms2):
    p1, p2 = Path(p1), Path(p2)
    if not (os.path.lexists(str(p1)) and os.path.lexists(str(p2))):
        return False
    l1, l2 = p1.is_symlink(), p2.is_symlink()
    if l1 and l2:
        return readlink(p1) != readlink(p2)
    if l1 or l2:
        return True
    d1, d2 = p1.is_dir(), p2.is_dir()
    if d1 != d2:
        return True
    if not (d1 and d2) and file_collides(p1, p2):
        return True
    return not perms_compatible(perms1, perms2)


# --- parts.py ------------------------------------------------------------------------------------

def sort_parts(parts):
    remaining = sorted(parts, key=lambda p: p["name"], reverse=True)
    ordered = []
    while remaining:
        top = None
        for part in remaining:
            if not any(part["name"] in (o.get("after") or []) for o in remaining):
                top = part
                break
        if top is None:
            raise SystemExit(json.dumps({"error": "PartDependencyCycle"}))
        ordered.insert(0, top)
        remaining.remove(top)
    return ordered


def all_collisions(parts):
    seen = []
    found = []
    for part in sort_parts(parts):
        stage = part.get("stage")
        if stage is None:
            stage = ["*"]
        if not stage:
            continue
        files, dirs = migratable(stage, part["installDir"])
        contents = {str(p) for p in files | dirs}
        perms = part.get("permissions") or []
        for other, other_contents, other_perms, other_dir in seen:
            for item in contents & other_contents:
                mine = [s for s in perms if perm_applies(s, item)]
                theirs = [s for s in other_perms if perm_applies(s, item)]
                if paths_collide(Path(part["installDir"], item), Path(other_dir, item), mine, theirs):
                    found.append({"earlier": other, "later": part["name"], "path": item})
        seen.append((part["name"], contents, perms, part["installDir"]))
    found.sort(key=lambda c: (c["earlier"], c["later"], c["path"]))
    return found


def load_project(project_dir):
    for name in ("snapcraft.yaml", "rockcraft.yaml", "charmcraft.yaml", "snap/snapcraft.yaml"):
        path = Path(project_dir, name)
        if path.exists():
            try:
                import yaml  # noqa: PLC0415 - optional
            except ImportError:
                raise SystemExit("PyYAML is not installed: pass --parts-json instead")
            data = yaml.safe_load(path.read_text())
            parts = []
            for pname, spec in (data.get("parts") or {}).items():
                spec = spec or {}
                parts.append({
                    "name": pname,
                    "installDir": str(Path(project_dir, "parts", pname, "install")),
                    "stage": spec.get("stage"),
                    "permissions": spec.get("permissions") or [],
                    "after": spec.get("after") or [],
                })
            return parts
    raise SystemExit("no snapcraft.yaml, rockcraft.yaml or charmcraft.yaml in " + str(project_dir))


def main(argv):
    if argv and argv[0] == "--stage-set":
        directory = argv[1]
        stage = json.loads(argv[argv.index("--stage") + 1]) if "--stage" in argv else ["*"]
        try:
            files, dirs = migratable(stage, directory)
            print(json.dumps(sorted(str(p) for p in files | dirs)))
        except Exception as e:  # craft-parts would raise: report which exception
            print(json.dumps({"error": type(e).__name__, "message": str(e)}))
        return 0
    if argv and argv[0] == "--batch":
        req = json.load(sys.stdin)
        if req["op"] == "links":
            out = [Path(a) != Path(b) for a, b in req["pairs"]]
        else:
            out = [file_collides(Path(a), Path(b)) for a, b in req["pairs"]]
        print(json.dumps(out))
        return 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    project = argv[0]
    if "--parts-json" in argv:
        with open(argv[argv.index("--parts-json") + 1]) as f:
            parts = json.load(f)
    else:
        parts = load_project(project)
    print(json.dumps(all_collisions(parts), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
