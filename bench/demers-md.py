#!/usr/bin/env python3
"""Turns the CSVs of DemersTable into the Markdown tables of docs/dissemination.md.
   bench/demers-md.py out/demers-1000.csv [out/demers-1000-ae.csv ...]"""
import csv, math, sys
from collections import OrderedDict

# Demers et al. 1987, their simulations at n = 1000: (residue, traffic, t_last) per k.
DEMERS = {
    "push/feedback/counter": {1: (0.176, 1.74, 16.8), 2: (0.037, 3.30, 16.9), 3: (0.011, 4.53, 17.4),
                              4: (0.0036, 5.64, 17.5), 5: (0.0012, 6.68, 17.7)},
    "push/blind/coin": {1: (0.960, 0.04, 38), 2: (0.205, 1.59, 33), 3: (0.060, 2.82, 32),
                        4: (0.021, 3.91, 32), 5: (0.008, 4.95, 32)},
    "pull/feedback/counter": {1: (3.1e-2, 2.7, 17.6), 2: (5.8e-4, 4.5, 15.4), 3: (4.0e-6, 6.1, 14.0)},
}

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
                + f"; Demers sim: {fmt(t[0])}, m {t[1]}, t_last {t[2]}")
    if family in DEMERS and k in DEMERS[family]:
        t = DEMERS[family][k]
        return f"Demers sim: s {fmt(t[0])}, m {t[1]}, t_last {t[2]}"
    return "none known"

def fmt(v):
    if v == 0:
        return "0"
    return f"{v:.3f}" if v >= 0.01 else f"{v:.1e}"

def main():
    for path in sys.argv[1:]:
        rows = OrderedDict()
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
