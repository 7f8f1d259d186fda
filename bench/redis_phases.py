#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The phases of one grapevine-redis failover run of bench/redis_bus.py, from its JSON (the time of
the SIGKILL) and its nodes' logs (millisecond timestamps, this host's clock):
  kill -> first suspicion of the victim -> victim failed (first node / every survivor)
  -> election started (the heir asks for votes) -> won (now primary) -> seen everywhere (poll).
  bench/redis_phases.py /tmp/grapevine-redis-bench/gv_default_n6_r1.json [RUN_DIR]
RUN_DIR defaults to /tmp/grapevine-redis-bench/TAG (where redis_bus.py puts it)."""
import datetime, glob, json, os, re, sys


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: redis_phases.py RUN.json [RUN_DIR]", file=sys.stderr)
        sys.exit(2)
    d = json.load(open(sys.argv[1]))
    run_dir = sys.argv[2] if len(sys.argv) == 3 else "/tmp/grapevine-redis-bench/" + d["tag"]
    t_kill = d["kill_epoch_s"]
    day = datetime.datetime.fromtimestamp(t_kill, datetime.timezone.utc).date()
    victim = None
    pids = {}
    for ln in open(os.path.join(run_dir, "pids")) if os.path.exists(os.path.join(run_dir, "pids")) else []:
        pid, port, role, nid = ln.split()
        pids[int(port)] = nid
    events = {"suspect": [], "failed": [], "election": [], "won": []}
    first = {}
    for f in sorted(glob.glob(os.path.join(run_dir, "node-*.log"))):
        for ln in open(f, errors="replace"):
            m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) ", ln)
            if not m:
                continue
            h, mi, s, ms = map(int, m.groups())
            t = datetime.datetime(day.year, day.month, day.day, h, mi, s, ms * 1000,
                                  tzinfo=datetime.timezone.utc).timestamp() - t_kill
            if t < 0:
                continue
            if " suspects " in ln:
                vid = ln.split(" suspects ")[1].split()[0]
                first.setdefault(vid, t)
                events["suspect"].append((t, vid))
            elif " sees " in ln and "failed (DEAD)" in ln:
                events["failed"].append((t, ln.split(" sees ")[1].split()[0]))
            elif "asking for votes" in ln:
                events["election"].append((t, ln.split(" to replace ")[1].split()[0]))
            elif "now primary" in ln:
                events["won"].append((t, None))
    # the victim: the node the first election replaced
    if events["election"]:
        victim = min(events["election"])[1]
    f = lambda k: sorted(t for t, v in events[k] if victim is None or v in (victim, None))
    sus, fail, el, won = f("suspect"), f("failed"), f("election"), f("won")
    out = {
        "first_suspicion_s": round(sus[0], 3) if sus else None,
        "first_failed_s": round(fail[0], 3) if fail else None,
        "failed_everywhere_logged_s": round(fail[-1], 3) if fail else None,
        "election_started_s": round(el[0], 3) if el else None,
        "won_s": round(won[0], 3) if won else None,
        "seen_everywhere_polled_s": d["failure"]["promotion_seen_everywhere_s"],
    }
    print(json.dumps({"tag": d["tag"], **out}))


if __name__ == "__main__":
    main()
