#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turns the CSVs of DemersTable into the Markdown tables of docs/dissemination.md, one table per
   argument; an argument a.csv+b.csv merges the runs of both files (e.g. two halves of the seeds).
   bench/demers-md.py out/demers-1000-r.csv [out/a.csv+out/b.csv ...]"""
import csv, math, sys
from collections import OrderedDict

# Demers et al., their simulations at n = 1000, as printed (two significant digits) in Tables 1 and 2
# of the Xerox PARC report CSL-89-1 (January 1989, the revised PODC '87 paper): (residue s,
# traffic m, t_last) per k. Table 1 is push with feedback and counters, Table 2 push, blind, coin.
DEMERS = {
    "push/feedback/counter": {1: ("0.18", "1.7", "16.8"), 2: ("0.037", "3.3", "16.9"), 3: ("0.011", "4.5", "17.4"),
                              4: ("0.0036", "5.6", "17.5"), 5: ("0.0012", "6.7", "17.7")},
    "push/blind/coin": {1: ("0.96", "0.04", "38"), 2: ("0.20", "1.6", "33"), 3: ("0.060", "2.8", "32"),
                        4: ("0.021", "3.9", "32"), 5: ("0.008", "4.9", "32")},
}
TABLE = {"push/feedback/counter": "T1", "push/blind/coin": "T2"}

def fixed_point(a):
    """Largest s < 1 with s = exp(-a (1 - s)); 1 when a <= 1 (no outbreak in the limit)."""
    if a <= 1:
        return 1.0
    s = 0.0
    for _ in range(10000):
        s = math.exp(-a * (1 - s))
    return s

def theory(family, k):
    if family == "push/feedback/coin":
        s = fixed_point(k + 1)
        return f"s = e^-(k+1)(1-s): {fmt(s)}, m = {-math.log(s):.2f}"
    if family == "push/blind/coin":
        s = fixed_point(k)
        t = DEMERS[family][k]
        return (f"s = e^-k(1-s): {fmt(s)}" + (f", m = {-math.log(s):.2f}" if s < 1 else "")
                + f"; Demers T2: s {t[0]}, m {t[1]}, t_last {t[2]}")
    if family in DEMERS and k in DEMERS[family]:
        t = DEMERS[family][k]
        return f"Demers {TABLE[family]}: s {t[0]}, m {t[1]}, t_last {t[2]}"
    return "none known"

def fmt(v):
    if v == 0:
        return "0"
    return f"{v:.3f}" if v >= 0.01 else f"{v:.1e}"

def main():
    for arg in sys.argv[1:]:
        rows = OrderedDict()
        for path in arg.split("+"):
            with open(path) as f:
                for r in csv.DictReader(f):
                    rows.setdefault(r["variant"], []).append(r)
        if not rows:
            continue
        first = next(iter(rows.values()))[0]
        ae = first["anti_entropy"] == "true"
        print(f"\n#### N = {int(first['n']):,}, anti-entropy {'on (digest exchange every 5 rounds)' if ae else 'off'}\n")
        head = "| variant | runs | residue | residue max | copies/node | e^-copies | messages/node | rounds to last informed | rounds until quiet |"
        sep = "|---|---|---|---|---|---|---|---|---|"
        if ae:
            head += " repaired by anti-entropy / run |"
            sep += "---|"
        else:
            head += " theory (Demers et al.) |"
            sep += "---|"
        print(head)
        print(sep)
        for v, rs in rows.items():
            n = len(rs)
            mean = lambda c: sum(float(r[c]) for r in rs) / n
            family, k = v.rsplit("/k=", 1)
            k = int(k)
            res = mean("residue")
            copies = mean("rumors_per_node")
            push = family.startswith("push/")
            unfinished = sum(1 for r in rs if r["finished"] != "true")
            line = (f"| {family.replace('push_pull', 'push-pull')} k={k} | {n}{' (' + str(unfinished) + ' cut)' if unfinished else ''}"
                    f" | {fmt(res)} | {fmt(max(float(r['residue']) for r in rs))} | {copies:.2f}"
                    f" | {fmt(math.exp(-copies)) if push else '–'} | {mean('messages_per_node'):.2f}"
                    f" | {mean('rounds_to_last'):.1f} | {mean('rounds_to_quiet'):.1f} |")
            line += f" {mean('repaired'):.0f} |" if ae else f" {theory(family, k)} |"
            print(line)

main()
