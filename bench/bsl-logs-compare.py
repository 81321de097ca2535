#!/usr/bin/env python3
"""Our cells at epoch 100 beside the BSL code's own runs (experiments/reference/bsl-logs.csv): the log near its 100th
epoch, its best test epoch and Table II's figure, and for MF the BSL code's frame (mml-figure3-bsl at 800 negatives)
against bsl-table2's cell, which keeps five documented differences from that code.

Reads the committed result files only; a cell not finished yet shows "-". Writes the Markdown table to
experiments/results/bsl-table2/against-logs.md (for bench/results-into-docs.py) and prints it; the logs read at
epochs 10 and 50 too (LightGCN's) go, with those figures, to experiments/results/bsl-table2/lightgcn-logs.md.
Usage: python3 bench/bsl-logs-compare.py
"""
import csv
import json
import os
import sys

from resultfiles import RESULTS, last, pair, percent as diff, write_table

LOGS = "experiments/reference/bsl-logs.csv"
OUT = os.path.join(RESULTS, "bsl-table2", "against-logs.md")
CURVES_OUT = os.path.join(RESULTS, "bsl-table2", "lightgcn-logs.md")
NUMBERS = ["best_recall", "best_ndcg", "near100_recall", "near100_ndcg"]
EARLY = ["e10_recall", "e10_ndcg", "e50_recall", "e50_ndcg"]   # blank where the log was not read there


def read_logs():
    if not os.path.isfile(LOGS):
        sys.exit(f"bsl-logs-compare: no file '{LOGS}' (run from the repository's root)")
    with open(LOGS, encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    for n, row in enumerate(rows, start=1):
        for key in NUMBERS + EARLY:
            if key in EARLY and row.get(key) == "":
                row[key] = None
                continue
            try:
                row[key] = float(row[key])
            except (KeyError, TypeError, ValueError):
                blank = ", or blank" if key in EARLY else ""
                sys.exit(f"bsl-logs-compare: {LOGS}: data row {n}: field '{key}' is '{row.get(key)}', expected a number{blank}")
    return rows


def early_curves(logs, published):
    """The logs read at epochs 10 and 50 as well: their figures there, near their 100th epoch and at their best."""
    rows = ["| log | settings in its header | E:10 | E:50 | near its 100th epoch | best test epoch: figures (Table II) | epochs run |",
            "|---|---|---|---|---|---|---|"]
    for log in logs:
        if any(log[key] is None for key in EARLY):
            continue
        best, table_ii = (log["best_recall"], log["best_ndcg"]), published[(log["data"], log["encoder"], log["loss"])]
        shown = pair(table_ii) if best == table_ii else f"**{pair(table_ii)}**"   # bold where the log ends elsewhere
        rows.append(f"| `{log['log']}` ({log['loss'].upper()}) | {log['settings']} | {pair((log['e10_recall'], log['e10_ndcg']))}"
                    f" | {pair((log['e50_recall'], log['e50_ndcg']))} | {log['near100_epoch']}: {pair((log['near100_recall'], log['near100_ndcg']))}"
                    f" | {log['best_epoch']}: {pair(best)} ({shown}) | {log['epochs_run']} |")
    return rows


def read_published():
    """Table II's (Recall@20, NDCG@20) by (data, encoder, loss), from bsl-table2's table.json (`recloss experiment table`)."""
    path = os.path.join(RESULTS, "bsl-table2", "table.json")
    try:
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
        return {(r["grid"]["data"], r["grid"]["encoder"], r["grid"]["loss"]): (r["published"]["recall"], r["published"]["ndcg"])
                for r in table if r.get("published")}
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"bsl-logs-compare: {path}: not the table `recloss experiment table experiments/bsl-table2.yaml` writes ({e!r})")


def main():
    logs, published = read_logs(), read_published()
    rows = ["| data | encoder | loss | our cell | ours, last epoch | the log near its 100th epoch | ours vs the log there |"
            " the log's best test epoch | Table II | ours vs Table II | vs bsl-table2's cell |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for log in logs:
        data, encoder, loss = log["data"], log["encoder"], log["loss"]
        near = (log["near100_recall"], log["near100_ndcg"])
        best = (log["best_recall"], log["best_ndcg"])
        table_ii = published.get((data, encoder, loss))
        if table_ii is None:
            sys.exit(f"bsl-logs-compare: bsl-table2's table.json has no published figure for {data} {encoder} {loss}")
        best_label = f"{log['best_epoch'] + ' of ' if log['best_epoch'] else ''}{log['epochs_run']} epochs: {pair(best)}"
        cells = [("bsl-table2", f"{data}_{encoder}_{loss}_2019")]
        if encoder == "mf":
            cells.append(("mml-figure3-bsl", f"{data}_{loss}_800_2019"))
        results = [(spec, cell, last(spec, cell)) for spec, cell in cells]
        table2 = results[0][2]
        for spec, cell, ours in results:
            v = None if ours is None else ours[:2]
            epoch = "" if ours is None else f" (epoch {ours[2]})"
            versus = "-" if spec == "bsl-table2" else diff(v, None if table2 is None else table2[:2])
            rows.append(f"| {data} | {encoder} | {loss} | {spec} {cell} | {pair(v)}{epoch} | {log['near100_epoch']}: {pair(near)}"
                        f" | {diff(v, near)} | {best_label} | {pair(table_ii)} | {diff(v, table_ii)} | {versus} |")
    write_table(OUT, rows)
    write_table(CURVES_OUT, early_curves(logs, published))


if __name__ == "__main__":
    main()
