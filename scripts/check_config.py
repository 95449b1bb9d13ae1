#!/usr/bin/env python3
"""Checks the one registry of environment variables (run by CTest as config_registry_check).

1. The variable tables of docs/configuration.md are what the registry generates: every
   `<!-- variables: SECTION -->` ... `<!-- end variables -->` block holds the table of that
   section, and every section of the registry has a block. `--write` regenerates the blocks.
2. Every OTEL_*/TRACEKIT_*/SKRIPTOTEKET_* name the docs mention is in the registry (or listed
   below as one tracekit does not read).
3. Nothing in src/, apps/ or include/ calls getenv/secure_getenv except the registry's reader
   (src/core/config_registry.cc). tests/, bench/, examples/ and tools/ may read the environment.

The registry comes from the config_reference program (tools/config_reference.cc), which prints
each variable of every table as a tab-separated line.

  scripts/check_config.py [--reference build/release/tests/config_reference] [--write]
"""
import argparse
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
READER = "src/core/config_registry.cc"
CHECKED_DIRS = ("src", "apps", "include")
SOURCE_SUFFIXES = {".cc", ".h", ".cpp", ".hpp", ".c", ".inc", ".def"}
# Names the docs mention that tracekit deliberately does not read (said so where they appear).
NOT_READ = {
    "OTEL_METRICS_EXPORTER",
    "OTEL_LOGS_EXPORTER",
}
BLOCK = re.compile(r"(<!-- variables: ([a-z0-9-]+) -->\n)(.*?)(<!-- end variables -->)", re.S)
NAME = re.compile(r"\b((?:OTEL|TRACEKIT|SKRIPTOTEKET)_[A-Z0-9_]*[A-Z0-9])\b(?![*\[])")
GETENV = re.compile(r"\b(?:secure_getenv|getenv)\s*\(")


def registry(reference):
    out = subprocess.run([reference], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        name, kind, default, meaning, component, section = line.split("\t")
        rows.append(dict(name=name, type=kind, default=default, meaning=meaning,
                         component=component, section=section))
    return rows


def table(rows):
    lines = ["| variable | type | default | meaning | read by |", "|---|---|---|---|---|"]
    for r in rows:
        meaning = r["meaning"].replace("|", "\\|")
        lines.append(f"| `{r['name']}` | {r['type']} | {r['default']} | {meaning} | {r['component']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", default=str(ROOT / "build/release/tests/config_reference"))
    parser.add_argument("--write", action="store_true", help="regenerate the docs tables")
    args = parser.parse_args()
    problems = []

    rows = registry(args.reference)
    names = [r["name"] for r in rows]
    for n in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"registry: {n} is listed twice")
    sections = {}
    for r in rows:
        sections.setdefault(r["section"], []).append(r)

    doc = DOC.read_text()
    seen = set()

    def regenerate(match):
        section = match.group(2)
        seen.add(section)
        if section not in sections:
            problems.append(f"{DOC.name}: block 'variables: {section}' names no registry section")
            return match.group(0)
        return match.group(1) + table(sections[section]) + match.group(4)

    generated = BLOCK.sub(regenerate, doc)
    for section in sections:
        if section not in seen:
            problems.append(f"{DOC.name}: no '<!-- variables: {section} -->' block for the "
                            f"registry's section {section} ({', '.join(r['name'] for r in sections[section])})")
    if generated != doc:
        if args.write:
            DOC.write_text(generated)
            print(f"rewrote the variable tables of {DOC.relative_to(ROOT)}")
        else:
            problems.append(f"{DOC.name}: the variable tables differ from the registry; run "
                            "scripts/check_config.py --write (after building config_reference)")

    # Names the scripts and the build read are theirs, not the programs': CMake options
    # (TRACEKIT_BUILD_*, TRACEKIT_WITH_*), variables of scripts/*.sh and .ci/run, and what
    # cmake/ defines (the TRACEKIT_VERSION_* macros of the generated tracekit/version.h).
    script_names = set()
    build_files = list((ROOT / "cmake").glob("*.cmake")) + list((ROOT / "cmake").glob("*.in"))
    for script in list((ROOT / "scripts").glob("*.sh")) + [ROOT / ".ci" / "run", ROOT / "CMakeLists.txt"] + build_files:
        if script.exists():
            script_names |= set(NAME.findall(script.read_text()))
    known = set(names) | NOT_READ | script_names
    for md in sorted(list((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]):
        for number, line in enumerate(md.read_text().splitlines(), 1):
            for name in NAME.findall(line):
                if name not in known:
                    problems.append(f"{md.relative_to(ROOT)}:{number}: {name} is documented but "
                                    "not in the registry")

    for folder in CHECKED_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            relative = str(path.relative_to(ROOT))
            if relative == READER:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if line.lstrip().startswith("//"):
                    continue
                if GETENV.search(line):
                    problems.append(f"{relative}:{number}: reads the environment outside the "
                                    f"registry ({READER}): read a registered variable with "
                                    "tracekit::config::read_env instead")

    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"config registry: {len(rows)} variables, docs and sources agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
