#!/usr/bin/env python3
"""The MML paper's Figure 3 as its authors ran it: MML and CCL on the MML code's protocol (experiments/mml-figure3.yaml)
beside SL and BSL on the BSL code's frame (experiments/mml-figure3-bsl.yaml), last epoch, with MML's lead over each
and what the frame changes: SL and BSL on the BSL frame against the same loss on the MML protocol.

Reads the committed result files only; a cell not finished yet shows "-". Writes the Markdown table to
experiments/results/mml-figure3-bsl/as-run.md (for bench/results-into-docs.py) and prints it.
Usage: python3 bench/figure3-as-run.py
"""
import os
import sys

from resultfiles import RESULTS, last as last_epoch, pair, percent as lead, write_table

OUT = os.path.join(RESULTS, "mml-figure3-bsl", "as-run.md")
NEGATIVES = [10, 50, 100, 200, 400, 800]
SOURCES = [("mml", "mml-figure3"), ("ccl", "mml-figure3"), ("sl", "mml-figure3-bsl"), ("bsl", "mml-figure3-bsl")]


def last(spec, data, loss, negatives):
    """(Recall@20, NDCG@20) at the last epoch, or None while the cell has no result."""
    v = last_epoch(spec, f"{data}_{loss}_{negatives}_2019")
    return None if v is None else v[:2]


def main():
    if not os.path.isdir(RESULTS):
        sys.exit(f"figure3-as-run: no folder '{RESULTS}' (run from the repository's root)")
    rows = ["| data | negatives | MML | CCL | SL (BSL frame) | BSL (BSL frame) | MML vs CCL | MML vs SL | MML vs BSL |"
            " SL frame vs protocol | BSL frame vs protocol |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for data in ["yelp2018", "gowalla"]:
        for n in NEGATIVES:
            v = {loss: last(spec, data, loss, n) for loss, spec in SOURCES}
            rows.append(f"| {data} | {n} | " + " | ".join(pair(v[loss]) for loss, _ in SOURCES) + " | "
                        + " | ".join(lead(v["mml"], v[o]) for o in ["ccl", "sl", "bsl"]) + " | "
                        + " | ".join(lead(v[o], last("mml-figure3", data, o, n)) for o in ["sl", "bsl"]) + " |")
    write_table(OUT, rows)


if __name__ == "__main__":
    main()
