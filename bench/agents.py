#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Queries and large metadata on N real `grapevine agent` processes on loopback.

Not part of the test suite. Starts N agents with the packaged launcher (bin/grapevine of the
distribution tarball, its own JVM flags), one OS process per node, LAN profile, joined through the
first; then, through each agent's HTTP API only (what an operator or a script would use):

  query     Q queries (after W warm-up ones) from rotating agents, acks asked for, every agent
            answering with its name through an event handler (`--event-handler query:bench=...`,
            a shell command per query, as Serf runs one). For each: the time from issue until the
            originator had all N acks and all N answers (the `elapsedMs` the agent reports in its
            SSE stream), and the bytes all agents' sockets sent meanwhile beyond membership's own
            (its rate measured idle just before). Then filters: the set of nodes that answered a
            query with node and tag filters must equal exactly the set the filters select.
  metadata  for each size S: every agent sets S bytes of tags at once (PUT /v1/tags); the time until
            every agent has every other agent's new metadata (seen as `updated` member events on
            each agent's /v1/monitor stream); bytes/s per node over a steady window; then U updates
            of one agent's metadata, each timed until all N-1 others hold it, with the bytes all
            sent meanwhile. Suspicions seen during the run are counted (there should be none).

Usage: bench/agents.py [--nodes 50] [--experiments query,metadata] [--queries 20] [--warmup 3]
                       [--sizes 8192,65535] [--steady 60] [--updates 3] [--dist TARBALL] [--out DIR]
Without --dist it builds the distribution (./mvnw package, no tests) and unpacks it under /tmp.
Ports: gossip 23000+i, HTTP 23500+i (below Linux's ephemeral range). Only the agents this run
started are stopped, by PID, on every exit. Every wait is bounded.
"""
import argparse
import http.client
import json
import os
import random
import signal
import statistics
import string
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOSSIP_BASE, HTTP_BASE = 23000, 23500


def log(*a):
    print(*a, flush=True)


class Agent:
    def __init__(self, i, work, launcher, seed, tags, conf):
        self.i = i
        self.name = "a-%03d" % i
        self.gossip = GOSSIP_BASE + i
        self.http = HTTP_BASE + i
        self.tags = tags
        self.log = os.path.join(work, self.name + ".log")
        cmd = [launcher, "agent", "--name", self.name, "--bind", "127.0.0.1:%d" % self.gossip,
               "--http", "127.0.0.1:%d" % self.http, "--config", conf, "--log-level", "warn",
               "--event-handler", 'query:bench=printf %s "$GRAPEVINE_SELF_NAME"']
        for k, v in tags.items():
            cmd += ["--meta", "%s=%s" % (k, v)]
        if seed:
            cmd += ["--join", seed]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http, path)

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.url(path), timeout=timeout) as r:
            return r.read()

    def json(self, path, timeout=10):
        return json.loads(self.get(path, timeout))

    def put_json(self, path, body, timeout=30):
        req = urllib.request.Request(self.url(path), data=json.dumps(body).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def rss_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def sent_bytes(self):
        for line in self.get("/metrics").decode().splitlines():
            if line.startswith("grapevine_transport_sent_bytes_total"):
                return float(line.rsplit(" ", 1)[1])
        raise RuntimeError("%s: no grapevine_transport_sent_bytes_total in /metrics" % self.name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)


def wait_until(what, seconds, check, step=0.2):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if check():
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(step)
    raise RuntimeError("timed out after %d s waiting until %s" % (seconds, what))


def pct(values, p):
    """Nearest rank; with 20 values p99 is the largest."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


class Cluster:
    def __init__(self, agents, pool):
        self.agents = agents
        self.pool = pool

    def total_sent(self):
        return sum(self.pool.map(lambda a: a.sent_bytes(), self.agents))

    def counters(self):
        """Every non-zero drop and refusal counter of /v1/info, summed over the agents."""
        out = {}
        for info in self.pool.map(lambda a: a.json("/v1/info"), self.agents):
            t = info["transport"]
            for k in ("sendErrors", "connectTimeouts", "rejectedConnections", "streamReadErrors",
                      "oversizedDatagrams", "oversizedStreamMessages"):
                out["transport." + k] = out.get("transport." + k, 0) + t.get(k, 0)
            for k, v in t.get("connectionsRefused", {}).items():
                out["refused." + k] = out.get("refused." + k, 0) + v
            for k, v in info["stats"].get("dropped", {}).items():
                out["dropped." + k] = out.get("dropped." + k, 0) + v
        return out

    @staticmethod
    def delta(before, after):
        return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}

    def idle_rate(self, seconds):
        b0, t0 = self.total_sent(), time.monotonic()
        time.sleep(seconds)
        return (self.total_sent() - b0) / (time.monotonic() - t0)


def sse(agent, method, path, body=b"", timeout=60):
    """Yields (event, data dict) from a server-sent event stream."""
    conn = http.client.HTTPConnection("127.0.0.1", agent.http, timeout=timeout)
    conn.request(method, path, body=body)
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError("%s %s on %s: %d %s" % (method, path, agent.name, resp.status, resp.read()[:300]))
    event = None
    try:
        while True:
            line = resp.readline()
            if not line or not line.endswith(b"\n"):
                return  # the end, or a line cut short by the agent stopping
            line = line.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                yield event, json.loads(line[5:])
                event = None
    finally:
        conn.close()


def run_query(origin, params, timeout="5s"):
    q = "/v1/query/bench?" + urllib.parse.urlencode(params + [("ack", "true"), ("timeout", timeout)])
    acks, answers, done = {}, {}, None
    for ev, d in sse(origin, "POST", q, b""):
        if ev == "ack":
            acks[d["from"]] = d["elapsedMs"]
        elif ev == "response":
            answers[d["from"]] = (d["elapsedMs"], d.get("payload"))
        elif ev == "done":
            done = d
        elif ev == "error":
            raise RuntimeError("query error on %s: %s" % (origin.name, d))
    return acks, answers, done


def query_experiment(cl, args, out):
    agents, n = cl.agents, len(cl.agents)
    time.sleep(3)
    idle = cl.idle_rate(10)
    log("membership alone: %.0f B/s sent by all %d agents" % (idle, n))
    to_acks, to_answers, spent, complete, rows = [], [], [], 0, []
    for q in range(-args.warmup, args.queries):
        origin = agents[(q * 7) % n]
        b0, t0 = cl.total_sent(), time.monotonic()
        acks, answers, done = run_query(origin, [])
        time.sleep(0.3)  # acks and answers relayed or retransmitted after the end still count
        b1, t1 = cl.total_sent(), time.monotonic()
        if q < 0:
            continue
        wrong = [f for f, (_, p) in answers.items() if p != f]
        all_in = len(acks) == n and len(answers) == n and not wrong
        complete += all_in
        a = max(acks.values()) if len(acks) == n else float("nan")
        r = max(e for e, _ in answers.values()) if len(answers) == n else float("nan")
        b = (b1 - b0) - idle * (t1 - t0)
        if len(acks) == n:
            to_acks.append(a)
        if len(answers) == n:
            to_answers.append(r)
        spent.append(b)
        rows.append({"query": q, "origin": origin.name, "acks": len(acks), "answers": len(answers),
                     "allAcksMs": a, "allAnswersMs": r, "doneMs": done and done.get("elapsedMs"),
                     "bytesBeyondMembership": round(b), "wrongAnswers": wrong,
                     "missingResponses": done and done.get("missingResponses")})
        log("query %2d from %s: acks %d/%d in %s ms, answers %d/%d in %s ms, done at %s ms, %.0f bytes beyond membership"
            % (q, origin.name, len(acks), n, a, len(answers), n, r, done and done.get("elapsedMs"), b))
    # Filters: the nodes that answer must be exactly those the filters select.
    checks = []
    webs = {a.name for a in agents if a.tags["role"] == "web"}
    web_eu = {a.name for a in agents if a.tags["role"] == "web" and a.tags["dc"] == "eu"}
    picked = [agents[3].name, agents[17 % n].name, agents[(n - 8) % n].name]
    for label, params, expect in [
        ("tag role=web", [("tag", "role=web")], webs),
        ("tag role=web and dc=e.", [("tag", "role=web"), ("tag", "dc=e.")], web_eu),
        ("node " + ",".join(picked), [("node", p) for p in picked], set(picked)),
        ("node %s and tag role=db" % picked[0], [("node", picked[0]), ("tag", "role=db")],
         {picked[0]} if agents[3].tags["role"] == "db" else set()),
        ("tag dc=(eu|us) on all", [("tag", "dc=(eu|us)")], {a.name for a in agents}),
    ]:
        acks, answers, done = run_query(agents[1], params, timeout="3s")
        ok = set(answers) == expect and set(acks) == expect and set(done["expected"]) == expect
        checks.append({"filter": label, "selected": len(expect), "answered": len(answers), "acked": len(acks),
                       "exact": ok})
        log("filter %-40s selects %2d, answered %2d, acked %2d: %s" % (label, len(expect), len(answers), len(acks),
                                                                    "exact" if ok else "WRONG"))
    summary = {"nodes": n, "queries": args.queries, "complete": complete, "idleBytesPerSecond": round(idle),
               "allAcksP50": pct(to_acks, 50), "allAcksP99": pct(to_acks, 99),
               "allAnswersP50": pct(to_answers, 50), "allAnswersP99": pct(to_answers, 99),
               "bytesPerQueryP50": round(pct(spent, 50)), "filters": checks}
    with open(os.path.join(out, "query.json"), "w") as f:
        json.dump({"summary": summary, "queries": rows}, f, indent=1)
    log("\n| N | queries complete | all acks p50 | p99 | all answers p50 | p99 | bytes per query (p50) | per node |")
    log("|---|---|---|---|---|---|---|---|")
    log("| %d | %d of %d | %s ms | %s ms | %s ms | %s ms | %s | %.0f |" % (
        n, complete, args.queries, summary["allAcksP50"], summary["allAcksP99"], summary["allAnswersP50"],
        summary["allAnswersP99"], "{:,}".format(summary["bytesPerQueryP50"]), summary["bytesPerQueryP50"] / n))
    return summary


class Monitor:
    """One /v1/monitor stream per agent; remembers, per agent, each member's (v tag, blob length) and when."""

    def __init__(self, agents):
        self.lock = threading.Lock()
        self.seen = {a.name: {} for a in agents}
        self.suspected = []
        self.threads = []
        for a in agents:
            t = threading.Thread(target=self.follow, args=(a,), daemon=True)
            t.start()
            self.threads.append(t)

    def follow(self, agent):
        try:
            for _, d in sse(agent, "GET", "/v1/monitor?level=error", timeout=None):
                if d.get("type") != "member-event":
                    continue
                m = d["member"]
                now = time.monotonic()
                with self.lock:
                    if d["event"] == "suspected":
                        self.suspected.append((agent.name, m["name"], d["time"]))
                    md = m.get("metadata") or {}
                    if "v" in md:
                        key = (md["v"], len(md.get("blob", "")))
                        old = self.seen[agent.name].get(m["name"])
                        if old is None or old[:2] != key:  # the first time this version was seen
                            self.seen[agent.name][m["name"]] = key + (now,)
        except Exception as e:  # the agents stop at the end
            if agent.proc.poll() is None:
                log("monitor of %s ended: %s" % (agent.name, e))

    def holds(self, holder, member, v, blob_len):
        with self.lock:
            s = self.seen[holder].get(member)
        return s is not None and s[0] == v and s[1] == blob_len

    def when(self, holder, member):
        with self.lock:
            return self.seen[holder][member][2]


def blob_for(size, tags, v):
    fixed = sum(len(k) + 1 + len(x) for k, x in tags.items()) + len("v=") + len(v) + len("blob=") + len(tags) + 1
    rnd = random.Random(size * 1000 + int(v))
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(rnd.choice(alphabet) for _ in range(size - fixed))


def metadata_experiment(cl, args, out):
    agents, n = cl.agents, len(cl.agents)
    mon = Monitor(agents)
    time.sleep(2)
    base = cl.idle_rate(args.steady)
    log("no large metadata: %.0f B/s per node over %d s" % (base / n, args.steady))
    results = []
    version = 0
    for size in args.sizes:
        version += 1
        v = str(version)
        blobs = {a.name: blob_for(size, a.tags, v + a.name[-3:]) for a in agents}
        c0 = cl.counters()
        b0, t0 = cl.total_sent(), time.monotonic()
        put_at = {}

        def put(a):
            put_at[a.name] = time.monotonic()
            a.put_json("/v1/tags", {"set": {"v": v, "blob": blobs[a.name]}})
        list(cl.pool.map(put, agents))
        t_set = time.monotonic()
        wait_until("every agent holds every other's %d-byte metadata" % size, 600, lambda: all(
            mon.holds(h.name, m.name, v, len(blobs[m.name])) for h in agents for m in agents if h is not m), 0.1)
        seen_at = [(mon.when(h.name, m.name), h.name, m.name) for h in agents for m in agents if h is not m]
        all_hold = max(t for t, _, _ in seen_at) - t0
        # Each pair from the moment its member's update was asked for.
        after_put = [(t - put_at[m], h, m) for t, h, m in seen_at]
        pairs = sorted(d for d, _, _ in after_put)
        b_all = cl.total_sent() - b0
        slow = sorted(((round(d, 2), h, m) for d, h, m in after_put if d > 5), reverse=True)
        spread = {"slowest": slow[:100], "p50": round(pct(pairs, 50), 2), "p90": round(pct(pairs, 90), 2), "p99": round(pct(pairs, 99), 2),
                  "over5s": sum(1 for x in pairs if x > 5)}
        log("S=%d: all %d set at once (the PUTs took %.2f s); every agent held every other's after %.2f s; %.1f MB sent;"
            " (holder, member) pairs held, after the member's PUT, after p50 %.2f s, p90 %.2f s, p99 %.2f s, %d of %d after more than 5 s"
            % (size, n, t_set - t0, all_hold, b_all / 1e6, spread["p50"], spread["p90"], spread["p99"], spread["over5s"],
               len(pairs)))
        drops = Cluster.delta(c0, cl.counters())
        log("S=%d: drops and refusals while all set at once: %s" % (size, drops or "none"))
        time.sleep(5)
        steady = cl.idle_rate(args.steady)
        rss = sorted(r for r in (a.rss_kib() for a in agents) if r)
        log("S=%d: steady %.0f B/s per node over %d s; agents' RSS median %.1f MiB, max %.1f MiB"
            % (size, steady / n, args.steady, statistics.median(rss) / 1024, rss[-1] / 1024))
        updates = []
        for u in range(args.updates):
            version += 1
            v = str(version)
            who = agents[(u * 13 + 5) % n]
            blobs[who.name] = blob_for(size, who.tags, v)
            b0, t0 = cl.total_sent(), time.monotonic()
            who.put_json("/v1/tags", {"set": {"v": v, "blob": blobs[who.name]}})
            others = [h for h in agents if h is not who]
            wait_until("all hold %s's update" % who.name, 120, lambda: all(
                mon.holds(h.name, who.name, v, len(blobs[who.name])) for h in others), 0.02)
            t = max(mon.when(h.name, who.name) for h in others) - t0
            b = cl.total_sent() - b0 - steady * (time.monotonic() - t0)
            updates.append({"from": who.name, "allHoldMs": round(t * 1000), "bytesBeyondSteady": round(b)})
            log("S=%d: update from %s held by all %d others after %d ms; %.2f MB beyond the steady rate"
                % (size, who.name, n - 1, t * 1000, b / 1e6))
            time.sleep(3)
        results.append({"size": size, "allSetAtOnceAllHoldS": round(all_hold, 2), "pairsHeldAfterS": spread,
                        "dropsWhileAllSet": drops, "bytesDuringAllSet": round(b_all),
                        "steadyBytesPerSecondPerNode": round(steady / n), "rssMedianKiB": statistics.median(rss),
                        "updates": updates})
    with mon.lock:
        suspected = list(mon.suspected)
    summary = {"nodes": n, "baselineBytesPerSecondPerNode": round(base / n), "sizes": results,
               "suspicionsSeen": len(suspected), "suspicions": suspected[:20]}
    with open(os.path.join(out, "metadata.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log("\n| metadata | N | all set at once → every agent holds every other's | update → all %d others hold it | "
        "bytes/s out per node, steady %d s | bytes sent cluster-wide per update | agents' RSS median |" % (n - 1, args.steady))
    log("|---|---|---|---|---|---|---|")
    log("| none | %d | | | %s B/s | | |" % (n, "{:,}".format(round(base / n))))
    for r in results:
        log("| %s B | %d | %.2f s | %s ms | %s B/s | %s MB | %.1f MiB |" % (
            "{:,}".format(r["size"]), n, r["allSetAtOnceAllHoldS"], ", ".join(str(u["allHoldMs"]) for u in r["updates"]),
            "{:,}".format(r["steadyBytesPerSecondPerNode"]),
            ", ".join("%.2f" % (u["bytesBeyondSteady"] / 1e6) for u in r["updates"]), r["rssMedianKiB"] / 1024))
    log("suspicions seen on the agents' monitor streams: %d" % len(suspected))
    return summary


def prepare_dist(args, work):
    tarball = args.dist
    if not tarball:
        log("agents: building the distribution (./mvnw package, no tests)")
        subprocess.run(["./mvnw", "-B", "-q", "-pl", "grapevine-dist", "-am", "package", "-DskipTests",
                        "-Dmaven.javadoc.skip=true", "-Dmaven.source.skip"], cwd=ROOT, check=True)
        tarball = next(os.path.join(ROOT, "grapevine-dist", "target", f)
                       for f in os.listdir(os.path.join(ROOT, "grapevine-dist", "target")) if f.endswith(".tar.gz"))
    dest = os.path.join(work, "dist")
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(tarball) as t:
        top = t.getnames()[0].split("/")[0]
        t.extractall(dest)
    launcher = os.path.join(dest, top, "bin", "grapevine")
    os.chmod(launcher, 0o755)
    return launcher


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nodes", type=int, default=50)
    p.add_argument("--experiments", default="query,metadata")
    p.add_argument("--queries", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--sizes", default="8192,65535")
    p.add_argument("--steady", type=int, default=60)
    p.add_argument("--updates", type=int, default=3)
    p.add_argument("--dist")
    p.add_argument("--out")
    args = p.parse_args()
    try:
        args.sizes = [int(s) for s in args.sizes.split(",")]
        experiments = args.experiments.split(",")
        if not 2 <= args.nodes <= 400 or any(not 600 <= s <= 65535 for s in args.sizes) or \
                any(e not in ("query", "metadata") for e in experiments):
            raise ValueError
    except ValueError:
        print("agents: --nodes 2..400, --sizes in 600..65535, --experiments from query,metadata", file=sys.stderr)
        sys.exit(2)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    work = "/tmp/grapevine-agents-bench"
    out = args.out or os.path.join(work, "run-" + stamp)
    os.makedirs(out, exist_ok=True)
    launcher = prepare_dist(args, work)
    conf = os.path.join(out, "agent.properties")
    with open(conf, "w") as f:
        f.write("cluster=agents-bench\nprofile=lan\nmembership.metadata-max-bytes=65535\n")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    machine = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(),
               "loadavg": open("/proc/loadavg").read().split()[:3], "java": java, "launcher": launcher,
               "command": "bench/agents.py " + " ".join(sys.argv[1:])}
    log(json.dumps(machine))
    with open(os.path.join(out, "machine.json"), "w") as f:
        json.dump(machine, f, indent=1)
    agents = []
    pool = ThreadPoolExecutor(max_workers=16)
    try:
        seed = "127.0.0.1:%d" % GOSSIP_BASE
        t0 = time.monotonic()
        for i in range(args.nodes):
            tags = {"role": "web" if i % 5 == 0 else "db", "dc": "eu" if i % 2 == 0 else "us"}
            agents.append(Agent(i, out, launcher, None if i == 0 else seed, tags, conf))
            if i == 0:
                wait_until("the first agent answers", 60, lambda: agents[0].json("/v1/health") is not None)
            elif i % 10 == 0:  # let the JVMs start in batches on a small machine
                wait_until("agents up to %d answer" % i, 120, lambda: all(
                    a.json("/v1/health") is not None for a in agents[-10:]))
        n = args.nodes
        wait_until("every agent sees %d alive" % n, 300, lambda: all(
            a.json("/v1/info")["members"].get("alive") == n for a in agents), 1)
        log("%d agents started and converged in %.1f s" % (n, time.monotonic() - t0))
        cl = Cluster(agents, pool)
        if "query" in experiments:
            query_experiment(cl, args, out)
        if "metadata" in experiments:
            metadata_experiment(cl, args, out)
        dead = [a.name for a in agents if a.proc.poll() is not None]
        if dead:
            raise RuntimeError("agents exited during the run: %s" % dead)
    finally:
        for a in agents:
            a.stop()
        end = time.monotonic() + 20
        for a in agents:
            try:
                a.proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                a.proc.kill()
        pool.shutdown()
    log("agents: results in %s" % out)


if __name__ == "__main__":
    main()
