#!/usr/bin/env python3
"""Side-by-side medians of an A/B run (scripts/gpu-ab.sh): one line per rk-bench row, the
base tree's medians by round, then the new tree's.

    tar -xf OUT/ab.tar -C /tmp && scripts/bench-ab-table.py /tmp/ab
"""
import collections
import glob
import json
import os
import sys


def main(folder):
    rows = collections.OrderedDict()
    files = glob.glob(os.path.join(folder, "*.json"))
    # SUITE-SIDE-ROUND.json; suite names have no '-'
    def key(path):
        suite, side, round_ = os.path.basename(path)[:-5].rsplit("-", 2)
        return suite, int(round_), side
    for path in sorted(files, key=key):
        _, _, side = key(path)
        with open(path) as f:
            for row in json.load(f)["results"]:
                entry = rows.setdefault(row["name"], {"unit": row["unit"], "base": [], "new": []})
                entry[side].append(row["median"])
    if not rows:
        sys.exit(f"no SUITE-SIDE-ROUND.json files in {folder}")
    for name, entry in rows.items():
        base = " ".join(f"{m:10.2f}" for m in entry["base"])
        new = " ".join(f"{m:10.2f}" for m in entry["new"])
        print(f"{name[:72]:72s} [{entry['unit']}]  base {base} | new {new}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
