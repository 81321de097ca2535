#!/usr/bin/env python3
"""Copies each experiment's table into docs/RESULTS.md (or the Markdown files given) between its markers:

    <!-- table: experiments/results/mml-table3/table.md -->
    ...replaced by that file's text...
    <!-- /table -->

so that the published tables are always the ones `recloss experiment table SPEC` wrote. A marker naming a missing
file, or one left open, is an error naming the Markdown file and line; nothing is written then.
Usage: python3 bench/results-into-docs.py [FILE.md ...]
"""
import os
import re
import sys

from resultfiles import replace_file

OPEN = re.compile(r"^<!-- table: (\S+) -->\s*$")
CLOSE = "<!-- /table -->"


def fill(path):
    if not os.path.isfile(path):
        sys.exit(f"results-into-docs: no file '{path}' (expected a Markdown file such as docs/RESULTS.md)")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, i, filled = [], 0, 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        out.append(lines[i])
        i += 1
        if not m:
            continue
        start = i
        while i < len(lines) and lines[i].strip() != CLOSE:
            i += 1
        if i == len(lines):
            sys.exit(f"{path}:{start}: '{m.group(0).strip()}' is never closed (expected a line '{CLOSE}')")
        table = m.group(1)
        if not os.path.isfile(table):
            sys.exit(f"{path}:{start}: no table '{table}' (expected a file `recloss experiment table` writes)")
        with open(table, encoding="utf-8") as t:
            out.extend(t.read().rstrip("\n").split("\n"))
        out.append(lines[i])
        i += 1
        filled += 1
    replace_file(path, "\n".join(out))
    print(f"{path}: {filled} table(s) filled")


files = [os.path.abspath(p) for p in sys.argv[1:]]
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))   # table paths are relative to the repository
for p in files or ["docs/RESULTS.md"]:
    fill(p)
