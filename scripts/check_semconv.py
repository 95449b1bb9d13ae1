#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks that semantic-convention attribute names are spelled once (CTest: semconv_check).

Every dotted name that include/tracekit/semconv.h defines must not appear as a string literal
in src/, apps/ or include/ anywhere else: the instrumentation uses the header's constants, so a
renamed convention is one edit and a typo is a compile error, not a silently different key.

  scripts/check_semconv.py
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER = ROOT / "include" / "tracekit" / "semconv.h"
CHECKED_DIRS = ("src", "apps", "include")
SOURCE_SUFFIXES = {".cc", ".h", ".cpp", ".hpp"}


def defined_names():
    text = HEADER.read_text()
    values = re.findall(r'inline constexpr std::string_view \w+ = "([^"]+)";', text)
    # Only attribute keys (dotted): values such as "grpc" or "_OTHER" are ordinary words.
    return {v for v in values if "." in v}


def literals_outside_comments(line, literal):
    """The string literals of one line that come before a // comment ("http://x" is no comment)."""
    pos = 0
    while True:
        match = literal.search(line, pos)
        comment = line.find("//", pos)
        if match is None or (comment != -1 and comment < match.start()):
            return
        yield match.group(1)
        pos = match.end()


def main():
    names = defined_names()
    if not names:
        sys.exit(f"{HEADER}: no names found (the pattern no longer matches the header)")
    literal = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
    problems = []
    for top in CHECKED_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or path == HEADER:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for text in literals_outside_comments(line, literal):
                    if text in names:
                        problems.append(f"{path.relative_to(ROOT)}:{number}: \"{text}\" "
                                        "is in tracekit/semconv.h: use its constant")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"semconv check: {len(names)} names, no literal copies in {', '.join(CHECKED_DIRS)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
