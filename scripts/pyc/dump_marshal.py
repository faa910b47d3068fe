"""Normalised JSON of marshalled pyc bodies, from the interpreter's own marshal.loads (3.6-3.14).

The oracle for src/python/pyc/marshal.ts: its dumpValue() must produce the same form (see dump.ts).

  dump_marshal.py FILE.pyc                   print the dump of one pyc
  dump_marshal.py --stdlib OUTDIR N SEED     py_compile N stdlib modules (N=0: all), chosen with
                                             random.Random(SEED), into OUTDIR/<i>.pyc with their dumps
                                             OUTDIR/<i>.json and OUTDIR/manifest.json
"""
import json
import marshal
import os
import py_compile
import random
import struct
import sys
import zipfile

sys.setrecursionlimit(20000)

# Python attribute names in the reader's normalised form; the line table field is named per version.
LINETABLE = "co_linetable" if sys.version_info >= (3, 10) else "co_lnotab"
INT_FIELDS = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
              "co_flags", "co_firstlineno"]
OBJ_FIELDS = ["co_code", "co_consts", "co_names", "co_varnames", "co_freevars", "co_cellvars",
              "co_filename", "co_name", LINETABLE]
if sys.version_info >= (3, 11):
    OBJ_FIELDS += ["co_qualname", "co_exceptiontable"]
CodeType = type(compile("", "", "exec"))


def norm(v):
    if v is None:
        return None
    if v is Ellipsis:
        return {"ellipsis": True}
    if v is StopIteration:
        return {"stopiteration": True}
    t = type(v)
    if t is bool:
        return v
    if t is int:
        return {"int": str(v)}
    if t is float:
        return {"float": struct.pack("<d", v).hex()}
    if t is complex:
        return {"complex": [struct.pack("<d", v.real).hex(), struct.pack("<d", v.imag).hex()]}
    if t is bytes:
        return {"bytes": v.hex()}
    if t is str:
        return v
    if t is tuple:
        return {"tuple": [norm(x) for x in v]}
    if t is list:
        return {"list": [norm(x) for x in v]}
    if t is set:
        return {"set": [norm(x) for x in v]}
    if t is frozenset:
        return {"frozenset": [norm(x) for x in v]}
    if t is dict:
        return {"dict": [[norm(k), norm(x)] for k, x in v.items()]}
    if t is slice:
        return {"slice": [norm(v.start), norm(v.stop), norm(v.step)]}
    if t is CodeType:
        out = {}
        for f in INT_FIELDS:
            if hasattr(v, f):
                out[f] = {"int": str(getattr(v, f))}
        for f in OBJ_FIELDS:
            out[f] = norm(getattr(v, f))
        return {"code": out}
    raise TypeError("unexpected type %r" % (t,))


def body_of(data):
    magic = int.from_bytes(data[:2], "little")
    return data[12:] if magic < 3392 else data[16:]


def dump_file(pyc):
    with open(pyc, "rb") as f:
        return norm(marshal.loads(body_of(f.read())))


def stdlib_sources():
    """(module path relative to the stdlib, source bytes) for every .py of the stdlib, sorted."""
    import sysconfig
    root = sysconfig.get_paths()["stdlib"]
    out = []
    if os.path.isdir(os.path.join(root, "importlib")):
        for d, dirs, files in os.walk(root):
            dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "dist-packages", "__pycache__"))
            for n in sorted(files):
                if n.endswith(".py"):
                    p = os.path.join(d, n)
                    out.append((os.path.relpath(p, root), p))
        return sorted(out), None
    # Pyodide: the stdlib is a zip on sys.path.
    for p in sys.path:
        if p.endswith(".zip") and os.path.isfile(p):
            z = zipfile.ZipFile(p)
            return sorted((n, n) for n in z.namelist() if n.endswith(".py")), z
    raise SystemExit("stdlib not found")


def stdlib(outdir, n, seed):
    os.makedirs(outdir, exist_ok=True)
    sources, z = stdlib_sources()
    if n > 0:
        sources = random.Random(seed).sample(sources, min(n, len(sources)))
    manifest = []
    for i, (rel, loc) in enumerate(sources):
        src = os.path.join(outdir, "%d.py" % i)
        data = z.read(loc) if z else open(loc, "rb").read()
        with open(src, "wb") as f:
            f.write(data)
        pyc = os.path.join(outdir, "%d.pyc" % i)
        try:
            py_compile.compile(src, cfile=pyc, dfile=rel, doraise=True)
        except py_compile.PyCompileError:
            continue  # e.g. lib2to3 test data written in Python 2
        with open(os.path.join(outdir, "%d.json" % i), "w") as f:
            json.dump(dump_file(pyc), f)
        manifest.append({"module": rel, "pyc": "%d.pyc" % i, "json": "%d.json" % i})
        os.remove(src)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"version": "%d.%d.%d" % sys.version_info[:3], "total": len(sources), "modules": manifest}, f)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--stdlib":
        stdlib(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 2:
        json.dump(dump_file(sys.argv[1]), sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
    else:
        raise SystemExit(__doc__)
