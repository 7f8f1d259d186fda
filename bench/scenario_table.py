#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints one markdown row per scenario run of bench/scenarios.sh: N, wall time, peak heap (the
largest heap-before-GC of the run's -Xlog:gc file), peak RSS, load average, headline result."""
import json
import re
import sys
from pathlib import Path

GC = re.compile(r"(\d+)M->(\d+)M\((\d+)M\)")


def peak_heap_mib(gc_log):
    peak = 0
    if gc_log.exists():
        for line in gc_log.read_text().splitlines():
            m = GC.search(line)
            if m:
                peak = max(peak, int(m.group(1)))
    return peak


def time_field(text, name):
    for line in text.splitlines():
        if line.strip().startswith(name):
            return line.split(": ", 1)[1].strip()
    return None


def wall_seconds(elapsed):
    parts = [float(p) for p in elapsed.split(":")]
    s = 0.0
    for p in parts:
        s = s * 60 + p
    return s


def dist(d, unit=""):
    return f"{d['p50']}{unit} / {d['max']}{unit}" if d and d.get("count") else "-"


def headline(r):
    if r.get("headline"):
        v = r["metrics"].get(r["headline"])
        if isinstance(v, float):
            v = f"{v:.4g}"
        return f"{r['headline']} = {v}; converged {str(r['converged']).lower()}"
    parts = []
    if r.get("protocol") == "rumor":
        return f"every node informed in round {r['convergedRound']}"
    if "distinct_cluster_sizes" in r:
        cv = r.get("complete_view_s")
        parts.append(f"{r['distinct_cluster_sizes']:,} distinct cluster sizes; complete view everywhere at "
                     + (f"{cv:g} s" if cv is not None else f"never ({r['complete_view_nodes']} nodes)"))
    f = r.get("flaky")
    if f:
        ch = f["changesDuringFault"]
        agreed = f["agreedAfterMillis"]
        parts.append(f"{'/'.join(f['kinds'])} on {len(f['nodes'])}: state changes per observer during the fault "
                     f"p50 {ch['p50']}, max {ch['max']}; observers "
                     + (f"agreed from {agreed / 1000:g} s" if agreed >= 0 else "never agreed")
                     + f" (before the end: {', '.join(f'{k.lower()} {v}' for k, v in f['statesBeforeFaultEnd'].items())}); "
                     f"healthy suspected {f['healthyMembersSuspected']}, declared dead {f['healthyMembersDeclaredDead']}")
    for c in r.get("crashes", [])[:1]:
        if len(r.get("crashes", [])) == 1:
            parts.append(f"crash dead at {c['detectedBy']}/{c['observers']} observers, p50 "
                         f"{c['dead']['p50'] / 1000 if c['dead'] and c['dead'].get('count') else '-'} s")
    if len(r.get("crashes", [])) > 1:
        parts.append(f"{len(r['crashes'])} crashes, all detected everywhere: "
                     f"{str(r['allCrashesDetectedEverywhere']).lower()}")
    if not f:
        conv = (f"full view everywhere at {r['convergedAtMillis'] / 1000:g} s" if r["converged"] else "not converged")
        parts.insert(0, conv)
    if not f:
        parts.append(f"false suspicion episodes {r['falseSuspicionEpisodes']} "
                     f"({r['falseSuspicionEpisodesOfHealthy']} of healthy members)")
    parts.append(f"false dead {r['falseDead']}")
    return "; ".join(parts)


def main(root):
    print("| scenario | N | wall | peak heap (GC log) | peak RSS | load avg (1 min, before/after) | headline result |")
    print("|---|---|---|---|---|---|---|")
    for d in sorted(Path(root).iterdir()):
        res = d / "results.json"
        if not res.exists():
            print(f"| `{d.name}.yaml` | | | | | | no results.json |")
            continue
        if not (d / "time.txt").exists():
            print(f"| `{d.name}.yaml` | | | | | | no time.txt (still running?) |")
            continue
        r = json.loads(res.read_text())
        t = (d / "time.txt").read_text()
        wall = time_field(t, "Elapsed (wall clock) time")
        rss = time_field(t, "Maximum resident set size")
        if wall is None or rss is None:
            print(f"| `{d.name}.yaml` | | | | | | time.txt incomplete (still running?) |")
            continue
        loads = []
        for name in ("load.txt", "load-before.txt", "load-after.txt"):
            p = d / name
            if p.exists():
                loads += re.findall(r"load average: ([\d.]+)", p.read_text())
        note = "" if r.get("finished", True) else " (cut short)"
        print(f"| `{d.name}.yaml` | {r['nodes']:,} | {wall_seconds(wall):.1f} s{note} | "
              f"{peak_heap_mib(d / 'gc.log'):,} MiB | {int(rss) // 1024:,} MiB | {' / '.join(loads)} | {headline(r)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/scenarios")
