#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every source file of the repository names its licence in an SPDX line (LICENSE: Apache-2.0).
  scripts/spdx.py            adds the line where it is missing
  scripts/spdx.py --check    lists the files without it and fails (CTest `spdx_check`)
Which files: those git tracks (or, outside a git checkout, the files below the root) with a
source extension; seed corpora, dictionaries, generated data, JSON and the vendored .proto files
(which carry their own licence text) are left alone."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "SPDX-License-Identifier: Apache-2.0"
# extension -> (line to add, lines it goes after when the file starts with them)
STYLES = {
    ".cc": ("// " + TAG, ()),
    ".h": ("// " + TAG, ()),
    ".js": ("// " + TAG, ()),
    ".mjs": ("// " + TAG, ("#!",)),
    ".css": ("/* " + TAG + " */", ()),
    ".html": ("<!-- " + TAG + " -->", ("<!doctype", "<!DOCTYPE")),
    ".sh": ("# " + TAG, ("#!",)),
    ".py": ("# " + TAG, ("#!",)),
    ".cmake": ("# " + TAG, ()),
    ".txt": ("# " + TAG, ()),  # CMakeLists.txt only, see wanted()
    ".in": ("# " + TAG, ()),
    ".map": ("/* " + TAG + " */", ()),
}
SKIP_DIRS = ("tests/fuzz/corpus/", "node_modules/", "build/", "third_party/")


def style_for(path):
    name = os.path.basename(path)
    if path.endswith(".h.in"):
        return ("// " + TAG, ())
    ext = os.path.splitext(name)[1]
    if ext == ".txt" and name != "CMakeLists.txt":
        return None
    return STYLES.get(ext)


def files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        out = []
        for d, _, names in os.walk(ROOT):
            out += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
    return sorted(p for p in out if p and not p.startswith(SKIP_DIRS) and "/node_modules/" not in p
                  and style_for(p) and os.path.isfile(os.path.join(ROOT, p)))


def has_tag(text):
    return TAG in "\n".join(text.split("\n")[:5])


def add_tag(path):
    line, after = style_for(path)
    full = os.path.join(ROOT, path)
    with open(full, encoding="utf-8") as f:
        text = f.read()
    if has_tag(text):
        return False
    lines = text.split("\n")
    at = 1 if lines and after and lines[0].startswith(after) else 0
    lines.insert(at, line)
    with open(full, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return True


def main():
    check = "--check" in sys.argv[1:]
    missing = []
    for p in files():
        with open(os.path.join(ROOT, p), encoding="utf-8", errors="replace") as f:
            if has_tag(f.read(4096)):
                continue
        if check:
            missing.append(p)
        elif add_tag(p):
            print("added:", p)
    if missing:
        print(f"spdx.py: {len(missing)} file(s) without '{TAG}' in their first lines "
              f"(scripts/spdx.py adds it):", file=sys.stderr)
        for p in missing:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
