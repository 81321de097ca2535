"""Shared by the bench scripts that put committed result files side by side (figure3-as-run.py, bsl-logs-compare.py):
reading a cell's last epoch, the percentage convention of docs/RESULTS.md, and writing a table by temp file and rename
(results-into-docs.py writes RESULTS.md the same way)."""
import json
import os
import sys

RESULTS = "experiments/results"
SCRIPT = os.path.splitext(os.path.basename(sys.argv[0]))[0]   # names the script in error messages


def last(spec, cell):
    """(Recall@20, NDCG@20, epoch) at the cell's last epoch, or None while it has no result file."""
    path = os.path.join(RESULTS, spec, cell + ".json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            result = json.load(f)
        s = next(s for s in result["selections"] if s["selection"] == "last")
        return s["test"]["recall@20"], s["test"]["ndcg@20"], s["epoch"]
    except (ValueError, KeyError, StopIteration) as e:
        sys.exit(f"{SCRIPT}: {path}: not a result file with a 'last' selection ({e})")


def percent(a, b):
    """a against b in percent, 100 (a/b - 1), for Recall and NDCG from unrounded values; "0.0 %" never "-0.0 %"."""
    if a is None or b is None:
        return "-"
    return " / ".join(f"{p:+.1f} %" if round(p, 1) != 0 else "0.0 %" for p in (100 * (x / y - 1) for x, y in zip(a, b)))


def pair(v):
    return "-" if v is None else f"{v[0]:.4f} / {v[1]:.4f}"


def replace_file(path, text):
    """Writes text to path by a temp file and a rename, so a failed write leaves the old file whole."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_table(path, rows):
    """Writes the Markdown rows to path (replace_file) and prints them."""
    text = "\n".join(rows) + "\n"
    replace_file(path, text)
    print(text, end="")
