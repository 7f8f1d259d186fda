#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One run of grapevine-redis at N nodes (examples/redis-cluster/run.sh): start, wait until every
node sees every node and cluster_state:ok, settle, measure the Grapevine bus bytes per node over a
window (INFO grapevine_bytes_sent/received, the transport's UDP + TCP payload counters), then
SIGKILL the primary on BASE+1 and poll every survivor's CLUSTER NODES (pipelined, every 10 ms) until its replica (BASE+1+N/2)
is shown master everywhere. Writes one JSON; prints one line. Loopback only."""
import argparse, json, os, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "..", "examples", "redis-cluster", "run.sh")


def resp(port, *args, timeout=2.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        out = b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
        s.sendall(out)
        f = s.makefile("rb")
        line = f.readline()
        if line[:1] == b"$":
            n = int(line[1:])
            return f.read(n + 2)[:-2].decode()
        return line.decode().strip()


class Conn:
    """A kept-open RESP connection: the failover poll sends to every observer, then reads every
    answer, so one round costs one round trip, not one per node (as the anchor harness polls)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=2.0)
        self.f = self.s.makefile("rb")

    def send(self, *args):
        self.s.sendall(b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args))

    def read(self):
        line = self.f.readline()
        if line[:1] == b"$":
            return self.f.read(int(line[1:]) + 2)[:-2].decode()
        return line.decode().strip()

    def close(self):
        self.s.close()


def fields(text):
    d = {}
    for ln in text.splitlines():
        if ":" in ln and not ln.startswith("#"):
            k, v = ln.split(":", 1)
            d[k] = v.strip()
    return d


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])


def thread_cpu(pids):
    """CPU seconds of every node's threads so far, summed by thread name (numbers and node ids
    stripped): where the start's CPU went (JIT compilers, GC, tick, event loop, server threads)."""
    import collections, re
    hz = os.sysconf("SC_CLK_TCK")
    agg = collections.Counter()
    for pid in pids:
        try:
            tasks = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for t in tasks:
            try:
                st = open("/proc/%d/task/%s/stat" % (pid, t)).read()
            except OSError:
                continue
            name = st[st.index("(") + 1:st.rindex(")")]
            f = st[st.rindex(")") + 2:].split()
            key = re.sub(r"\d+$", "N", re.sub(r"^(redis-[a-z]+)-.*$", r"\1", name))
            agg[key] += int(f[11]) + int(f[12])
    return {k: round(v / hz, 1) for k, v in agg.most_common()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=6)
    ap.add_argument("--base-port", type=int, default=21000)
    ap.add_argument("--node-opts", default="")
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--form-timeout", type=float, default=float(os.environ.get("FORM_TIMEOUT", "180")))
    ap.add_argument("--form-poll", type=float, default=0.5)
    ap.add_argument("--warm", type=float, default=0.0,
                    help="seconds of the failover's CLUSTER NODES polling before the kill")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    n, base = a.nodes, a.base_port
    if n < 4 or n % 2 or base + n + 10000 > 32768:
        print("redis_bus.py: N must be even >= 4 and BASE+N+10000 below 32768", file=sys.stderr)
        sys.exit(2)
    run_dir = "/tmp/grapevine-redis-bench/%s" % (a.tag or "run")
    env = dict(os.environ, RUN_DIR=run_dir, NODE_OPTS=a.node_opts)
    subprocess.run([RUN, "stop"], env=env, check=False, capture_output=True)
    subprocess.run([RUN, "start", str(n), str(base)], env=env, check=True)
    res = {"tag": a.tag, "nodes": n, "node_opts": a.node_opts, "settle_s": a.settle, "warm_s": a.warm}
    try:
        pids = {}
        with open(os.path.join(run_dir, "pids")) as f:
            for ln in f:
                pid, port, role, nid = ln.split()
                pids[int(port)] = (int(pid), role, nid)
        ports = sorted(pids)
        t0 = time.time()
        # one kept-open connection per node, one CLUSTER INFO each per round, a round every
        # FORM_POLL s: a new connection costs the node a new server thread, and 60 nodes polled with
        # two new connections each every 50 ms (as before) added 2,400 threads a second to the start
        formc = {}
        while True:
            ok = True
            for p in ports:
                try:
                    if p not in formc:
                        formc[p] = Conn(p)
                    formc[p].send("CLUSTER", "INFO")
                except OSError:
                    formc.pop(p, None)
                    ok = False
            for p in list(formc):
                try:
                    d = fields(formc[p].read())
                    ok = ok and d.get("cluster_state") == "ok" and d.get("cluster_known_nodes") == str(n)
                except OSError:
                    formc.pop(p).close()
                    ok = False
            if ok and len(formc) == len(ports):
                break
            if time.time() - t0 > a.form_timeout:
                raise RuntimeError("cluster not formed in %d s" % a.form_timeout)
            time.sleep(a.form_poll)
        for c in formc.values():
            c.close()
        res["formed_s"] = round(time.time() - t0, 2)
        res["load_at_formed"] = os.getloadavg()
        res["thread_cpu_at_formed_s"] = thread_cpu([pids[p][0] for p in ports])
        time.sleep(a.settle)
        ta = time.time()
        sa = {p: fields(resp(p, "INFO", "cluster")) for p in ports}
        ca = {p: cpu_ticks(pids[p][0]) for p in ports}
        tca = thread_cpu([pids[p][0] for p in ports])
        time.sleep(a.window)
        tb = time.time()
        sb = {p: fields(resp(p, "INFO", "cluster")) for p in ports}
        cb = {p: cpu_ticks(pids[p][0]) for p in ports}
        dt = tb - ta
        # the idle cluster's CPU by thread over the window, per second: the baseline for the failover's
        res["thread_cpu_idle_per_s"] = {k: round((v - tca.get(k, 0)) / dt, 3)
                                        for k, v in thread_cpu([pids[p][0] for p in ports]).items()
                                        if v - tca.get(k, 0) > 0}
        # false verdicts while forming: what every node counted before the kill
        res["before_kill"] = {k: sum(int(sb[p].get(k, 0)) for p in ports) for k in (
            "grapevine_peers_suspected", "grapevine_peers_failed", "grapevine_elections_started",
            "grapevine_self_refutations")}
        # Lifeguard's local health: the highest score any node reached, and how many nodes rose
        hm = [int(sb[p].get("grapevine_health_score_max", 0)) for p in ports]
        res["before_kill"]["health_score_max"] = max(hm)
        res["before_kill"]["nodes_health_above_0"] = sum(1 for x in hm if x > 0)
        hz = os.sysconf("SC_CLK_TCK")
        per = []
        for p in ports:
            per.append({
                "port": p,
                "bus_sent_per_s": (int(sb[p]["grapevine_bytes_sent"]) - int(sa[p]["grapevine_bytes_sent"])) / dt,
                "bus_recv_per_s": (int(sb[p]["grapevine_bytes_received"]) - int(sa[p]["grapevine_bytes_received"])) / dt,
                "cpu_pct": 100.0 * (cb[p] - ca[p]) / hz / dt})
        med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
        res["bandwidth"] = {"window_s": round(dt, 2), "per_node": per,
                            "bus_sent_per_s_median": round(med([x["bus_sent_per_s"] for x in per]), 1),
                            "bus_recv_per_s_median": round(med([x["bus_recv_per_s"] for x in per]), 1),
                            "cpu_pct_median": round(med([x["cpu_pct"] for x in per]), 2)}
        victim = base + 1
        heir = base + 1 + n // 2
        vid, hid = pids[victim][2], pids[heir][2]
        obs = [p for p in ports if p != victim]
        fail_at, promo_at, self_at = {}, {}, None
        conns = {p: Conn(p) for p in obs}
        # --warm S: the same polling for S seconds before the kill, so the failover does not land
        # on JVMs whose request path is first being compiled (a deployed node serves clients all
        # along; the watcher's polls start at the kill, and with them the JIT's work on that path)
        t_warm = time.time()
        while time.time() - t_warm < a.warm:
            for c in conns.values():
                c.send("CLUSTER", "NODES")
            for c in conns.values():
                c.read()
            time.sleep(0.01)
        cpu_before_kill = thread_cpu([pids[p][0] for p in obs])
        t_kill = time.time()
        res["kill_epoch_s"] = t_kill  # to line up with the nodes' log timestamps
        os.kill(pids[victim][0], 9)
        rounds = []  # each poll round's start and end (s after the kill): how fresh a "seen" time is
        while time.time() - t_kill < 120:
            r0 = time.time() - t_kill
            for p, c in list(conns.items()):
                try:
                    c.send("CLUSTER", "NODES")
                except OSError:
                    c.close()
                    del conns[p]
            for p, c in list(conns.items()):
                try:
                    txt = c.read()
                except OSError:
                    c.close()
                    del conns[p]
                    continue
                t = time.time() - t_kill
                for ln in txt.splitlines():
                    f = ln.split()
                    if f[0] == vid and "fail" in f[2].split(",") and p not in fail_at:
                        fail_at[p] = t
                    if f[0] == hid and "master" in f[2].split(","):
                        promo_at.setdefault(p, t)
                        if p == heir and self_at is None:
                            self_at = t
            for p in obs:  # reconnect an observer whose connection broke
                if p not in conns:
                    try:
                        conns[p] = Conn(p)
                    except OSError:
                        pass
            rounds.append((round(r0, 3), round(time.time() - t_kill, 3)))
            if len(fail_at) == len(obs) and len(promo_at) == len(obs):
                break
            time.sleep(0.01)
        for c in conns.values():
            c.close()
        # where the survivors' CPU went while the failover ran (kill to seen everywhere)
        cpu_after = thread_cpu([pids[p][0] for p in obs])
        res["thread_cpu_failover_s"] = {k: round(v - cpu_before_kill.get(k, 0), 2)
                                        for k, v in cpu_after.items() if v - cpu_before_kill.get(k, 0) > 0}
        res["failover_window_s"] = round(time.time() - t_kill, 2)
        res["poll_rounds_s"] = rounds
        res["failure"] = {
            "first_fail_s": round(min(fail_at.values()), 3) if fail_at else None,
            "all_fail_s": round(max(fail_at.values()), 3) if len(fail_at) == len(obs) else None,
            "replica_self_promoted_s": round(self_at, 3) if self_at is not None else None,
            "promotion_seen_everywhere_s": round(max(promo_at.values()), 3) if len(promo_at) == len(obs) else None,
            "promotion_seen_by_port_s": {str(p): round(t, 3) for p, t in sorted(promo_at.items())}}
    except Exception as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        subprocess.run([RUN, "stop"], env=env, check=False, capture_output=True)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    if "error" in res:
        print("%s: ERROR %s" % (a.tag, res["error"]))
        sys.exit(1)
    print("%s: formed %.2fs | before kill %s | bus sent/s med %.0f B | cpu %% med %.2f | fail all %s | promoted %s | seen everywhere %s" % (
        a.tag, res["formed_s"], " ".join("%s=%d" % (k.replace("grapevine_", ""), v) for k, v in res["before_kill"].items()),
        res["bandwidth"]["bus_sent_per_s_median"], res["bandwidth"]["cpu_pct_median"],
        res["failure"]["all_fail_s"], res["failure"]["replica_self_promoted_s"],
        res["failure"]["promotion_seen_everywhere_s"]))


if __name__ == "__main__":
    main()
