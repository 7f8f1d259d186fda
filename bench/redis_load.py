#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""False failovers under CPU load: one idle cluster of N nodes (no kill), CPU hogs for SECS seconds,
every node's CLUSTER NODES / CLUSTER INFO polled once a second. Counts what a false failure
detection leaves behind: fail flags seen (pairs observer/node), PFAIL flags (Redis's `fail?`),
the rise of the current epoch (every election takes a new epoch), primaries that changed, and
the systems' own counters (grapevine-redis: INFO grapevine_peers_suspected / _peers_failed /
_elections_started; Redis: "as failing (quorum reached)" and "Failover election won" log lines).

  --system gv:    examples/redis-cluster/run.sh, RESP ports BASE.. (Grapevine BASE+10000..)
  --system redis: the anchor harness rcbench.py (--no-failure, its steady-state window spanning
                  the load), client ports BASE.. (bus BASE+10000..)
The hogs are Python busy loops that end by themselves after SECS, killed by PID at the end.
Loopback only. Writes one JSON; prints one line."""
import argparse, json, os, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_bus import RUN, fields, resp  # noqa: E402


def nodes_view(port):
    """{id: (flags set, role)} from one node's CLUSTER NODES."""
    out = {}
    for ln in resp(port, "CLUSTER", "NODES").splitlines():
        f = ln.split()
        if len(f) >= 3:
            out[f[0]] = set(f[2].split(","))
    return out


def snapshot(ports, counters, logs):
    s = {"epoch": 0, "masters": set(), "counters": {}, "log": {}}
    for p in ports:
        try:
            ci = fields(resp(p, "CLUSTER", "INFO"))
            s["epoch"] = max(s["epoch"], int(ci.get("cluster_current_epoch", 0)))
            for nid, fl in nodes_view(p).items():
                if "myself" in fl and "master" in fl:
                    s["masters"].add(nid)
            if counters:
                inf = fields(resp(p, "INFO", "cluster"))
                for k in counters:
                    s["counters"][k] = s["counters"].get(k, 0) + int(inf.get(k, 0))
        except (OSError, ValueError):
            pass
    for k, pat in logs.items():
        n = 0
        for f in logs_files(ports):
            try:
                with open(f, errors="replace") as fh:
                    n += sum(1 for ln in fh if pat in ln)
            except OSError:
                pass
        s["log"][k] = n
    return s


LOG_FILES = []


def logs_files(ports):
    return LOG_FILES


def wait_formed(ports, n, replicas, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            ok = True
            for p in ports:
                ci = fields(resp(p, "CLUSTER", "INFO"))
                if ci.get("cluster_state") != "ok" or ci.get("cluster_known_nodes") != str(n):
                    ok = False
                    break
            if ok:
                view = nodes_view(ports[0])
                if sum(1 for fl in view.values() if "slave" in fl) >= replicas:
                    return time.time() - t0
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError("cluster not formed in %d s" % timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", choices=["gv", "redis"], required=True)
    ap.add_argument("--nodes", type=int, default=6)
    ap.add_argument("--base-port", type=int, required=True)
    ap.add_argument("--secs", type=int, default=60)
    ap.add_argument("--hogs", type=int, default=4)
    ap.add_argument("--node-opts", default="", help="gv: extra node options")
    ap.add_argument("--node-timeout", type=int, default=1000, help="redis: cluster-node-timeout ms")
    ap.add_argument("--anchor", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "..", "..", "shared", "anchors", "redis-cluster"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    n, base = a.nodes, a.base_port
    if n < 4 or n % 2 or base + n + 10000 > 32768 or not 1 <= a.secs <= 600 or not 0 <= a.hogs <= 16:
        print("redis_load.py: N even >= 4, BASE+N+10000 below 32768, secs 1..600, hogs 0..16",
              file=sys.stderr)
        sys.exit(2)
    ports = list(range(base, base + n))
    res = {"tag": a.tag, "system": a.system, "nodes": n, "secs": a.secs, "hogs": a.hogs,
           "node_opts": a.node_opts, "node_timeout_ms": a.node_timeout if a.system == "redis" else None}
    hogs, harness = [], None
    run_dir = "/tmp/grapevine-redis-bench/%s" % (a.tag or "load")
    env = dict(os.environ, RUN_DIR=run_dir, NODE_OPTS=a.node_opts)
    if a.system == "gv":
        counters = ["grapevine_peers_suspected", "grapevine_peers_failed", "grapevine_elections_started"]
        logs = {}
    else:
        counters = []
        logs = {"quorum_fail_lines": "as failing (quorum reached)",
                "election_won_lines": "Failover election won"}
        LOG_FILES.extend("/tmp/rc/%d/redis.log" % p for p in ports)
    try:
        if a.system == "gv":
            subprocess.run([RUN, "stop"], env=env, check=False, capture_output=True)
            subprocess.run([RUN, "start", str(n), str(base)], env=env, check=True)
        else:
            # the anchor's steady-state window spans formation slack + the load; -O: its only
            # assert pins client ports to 30000+, whose bus ports (+10000) would be above 32767
            harness = subprocess.Popen(
                [sys.executable, "-O", os.path.join(a.anchor, "rcbench.py"), "--nodes", str(n),
                 "--node-timeout", str(a.node_timeout), "--layout", "replicas", "--no-failure",
                 "--base-port", str(base), "--window", str(a.secs + 20), "--tag", a.tag,
                 "--out", a.out + ".anchor.json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res["formed_s"] = round(wait_formed(ports, n, n // 2, 180), 2)
        time.sleep(5)  # settle (and the anchor's own 3 s settle before its window)
        before = snapshot(ports, counters, logs)
        res["load_before"] = open("/proc/loadavg").read().split()[:3]
        for _ in range(a.hogs):
            # one process per hog that ends by itself after SECS, so killing it by its PID ends it
            # (a `timeout ... sh -c` hog killed early left its busy shell running)
            hogs.append(subprocess.Popen([sys.executable, "-c",
                                          "import time\nend = time.time() + %d\nwhile time.time() < end:\n    pass\n" % a.secs]))
        flags = {"fail": set(), "pfail": set()}
        polls, t0 = 0, time.time()
        while time.time() - t0 < a.secs:
            for p in ports:
                try:
                    for nid, fl in nodes_view(p).items():
                        if "fail" in fl:
                            flags["fail"].add((p, nid))
                        if "fail?" in fl:
                            flags["pfail"].add((p, nid))
                except (OSError, ValueError):
                    pass
            polls += 1
            time.sleep(max(0.0, 1.0 - (time.time() - t0) % 1.0))
        res["load_end"] = open("/proc/loadavg").read().split()[:3]
        for h in hogs:
            h.kill()
            h.wait()
        hogs = []
        time.sleep(3)  # let a late verdict or election show
        after = snapshot(ports, counters, logs)
        res["polls"] = polls
        res["fail_flags_seen"] = len(flags["fail"])
        res["pfail_flags_seen"] = len(flags["pfail"])
        res["nodes_flagged_fail"] = len({nid for _, nid in flags["fail"]})
        res["epoch_rise"] = after["epoch"] - before["epoch"]
        res["primaries_changed"] = len(before["masters"] ^ after["masters"]) // 2
        res["counters"] = {k: after["counters"].get(k, 0) - before["counters"].get(k, 0) for k in counters}
        res["log_lines"] = {k: after["log"][k] - before["log"][k] for k in logs}
    except Exception as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
        if a.system == "gv":
            subprocess.run([RUN, "stop"], env=env, check=False, capture_output=True)
        elif harness is not None:
            try:
                harness.wait(timeout=a.secs + 120)
            except subprocess.TimeoutExpired:
                harness.terminate()  # its atexit hook stops exactly the servers it started
                harness.wait(timeout=30)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    if "error" in res:
        print("%s: ERROR %s" % (a.tag, res["error"]))
        sys.exit(1)
    print("%s: %d hogs %d s, load %s..%s | fail flags %d (nodes %d) | pfail %d | epoch +%d | "
          "primaries changed %d | %s %s" % (
              a.tag, a.hogs, a.secs, res["load_before"][0], res["load_end"][0], res["fail_flags_seen"],
              res["nodes_flagged_fail"], res["pfail_flags_seen"], res["epoch_rise"],
              res["primaries_changed"], res["counters"], res["log_lines"]))


if __name__ == "__main__":
    main()
