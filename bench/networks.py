#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Multi-host experiments: real agents, one per network namespace, faults made with nftables.

Each experiment builds a fresh set of hosts (namespaces named with this process's id, one bridge
with no address in the root namespace, IPv4 from 198.18.0.0/15, IPv6 from fd00::/8), starts one
agent per host, applies one fault, measures from the agents' own records (Grapevine: its log of
membership events; memberlist: the anchor node's JSON events), and removes everything it created,
also on failure or Ctrl-C. Needs root, ip, nft, curl and java; memberlist runs need the anchor's
mlnode (built by shared/anchors/memberlist/build.sh). Results: one JSON object per experiment in
OUT/results.jsonl, agents' logs under OUT/logs/.

    python3 bench/networks.py --jar grapevine-agent/target/grapevine.jar --out /tmp/networks \
        [--hosts 10] [--experiments partition,oneway-in,oneway-out,flaky,ipv6] \
        [--systems grapevine,memberlist] [--mlnode /tmp/grapevine-anchors/mlnode] \
        [--agent-config FILE] [--after 60]
"""
import argparse
import atexit
import datetime as dt
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

GOSSIP_PORT = 7946
HTTP_PORT = 8946


def sh(*cmd, stdin=None, check=True, timeout=30):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


class Net:
    """Hosts in namespaces on one bridge; removes only what it created."""

    seq = 0

    def __init__(self, count, ipv4=True, ipv6=False):
        Net.seq += 1
        self.tag = f"{os.getpid():x}b{Net.seq}"
        self.bridge = f"gvb{self.tag}"
        self.hosts = []
        self.procs = []
        self.closed = False
        atexit.register(self.close)
        try:
            sh("ip", "link", "add", self.bridge, "type", "bridge")
            sh("ip", "link", "set", self.bridge, "up")
            for i in range(1, count + 1):
                ns = f"gv{self.tag}h{i}"
                v4 = f"198.18.{i // 250}.{i % 250 + 1}" if ipv4 else None
                v6 = f"fd00:67:76::{i:x}" if ipv6 else None
                sh("ip", "netns", "add", ns)
                self.hosts.append({"i": i, "name": f"h{i}", "ns": ns, "v4": v4, "v6": v6})
                veth = f"gvv{self.tag}h{i}"
                sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
                sh("ip", "link", "set", veth, "master", self.bridge, "up")
                sh("ip", "-n", ns, "link", "set", "lo", "up")
                if v4:
                    sh("ip", "-n", ns, "addr", "add", v4 + "/15", "dev", "eth0")
                if v6:
                    sh("ip", "-n", ns, "addr", "add", v6 + "/64", "dev", "eth0", "nodad")
                sh("ip", "-n", ns, "link", "set", "eth0", "up")
                self.nft(self.hosts[-1], "table inet gvfault {\n"
                         " chain in { type filter hook input priority 0; policy accept; }\n"
                         " chain out { type filter hook output priority 0; policy accept; }\n}\n")
        except Exception:
            self.close()
            raise

    @staticmethod
    def addr(h):
        return h["v4"] if h["v4"] else f"[{h['v6']}]"

    def nft(self, h, script):
        sh("ip", "netns", "exec", h["ns"], "nft", "-f", "-", stdin=script)

    def drop_from(self, receiver, senders):
        rules = []
        for s in senders:
            if s["v4"] and receiver["v4"]:
                rules.append(f'add rule inet gvfault in iifname "eth0" ip saddr {s["v4"]} drop')
            if s["v6"] and receiver["v6"]:
                rules.append(f'add rule inet gvfault in iifname "eth0" ip6 saddr {s["v6"]} drop')
        self.nft(receiver, "\n".join(rules) + "\n")

    def partition(self, a, b):
        for h in a:
            self.drop_from(h, b)
        for h in b:
            self.drop_from(h, a)

    def block_inbound(self, h):
        self.nft(h, 'add rule inet gvfault in iifname "eth0" drop\n')

    def block_outbound(self, h):
        self.nft(h, 'add rule inet gvfault out oifname "eth0" drop\n')

    def inbound_loss(self, h, percent):
        self.nft(h, f'add rule inet gvfault in iifname "eth0" numgen random mod 100 < {percent} drop\n')

    def heal(self):
        for h in self.hosts:
            self.nft(h, "flush chain inet gvfault in\nflush chain inet gvfault out\n")

    def start(self, h, cmd, log, stdin=None):
        f = open(log, "w")
        p = subprocess.Popen(["ip", "netns", "exec", h["ns"]] + cmd, stdout=f, stderr=subprocess.STDOUT,
                             stdin=stdin if stdin is not None else subprocess.DEVNULL, text=True)
        self.procs.append(p)
        return p

    def exec(self, h, *cmd, timeout=15):
        return sh("ip", "netns", "exec", h["ns"], *cmd, check=False, timeout=timeout)

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in self.procs:
            if p.poll() is None:
                p.kill()  # by our own handle only
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for h in self.hosts:
            sh("ip", "netns", "del", h["ns"], check=False)
        sh("ip", "link", "del", self.bridge, check=False)


# ------------------------------------------------------------------ systems

class Grapevine:
    """Real agents; membership changes read from each agent's log (every transition is logged)."""

    name = "grapevine"
    LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) \S+ \S+ - (\S+): member (\S+) (.*)$")
    # The agent's current layout: ISO-8601 time with its zone, level, [thread], logger, message.
    ISO_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(?:Z|[+-]\d\d:\d\d)) .*?: (\S+): member (\S+) (.*)$")

    def __init__(self, net, jar, logdir, profile, config=None):
        self.net, self.jar, self.logdir, self.profile = net, jar, logdir, profile
        self.config = config
        self.logs = {}
        self.day = dt.date.today()

    def start_all(self, bind_wildcard=False):
        java = os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java")
        if not os.path.exists(java):
            java = "java"
        seed = self.net.hosts[0]
        for h in self.net.hosts:
            own = f"{Net.addr(h)}:{GOSSIP_PORT}"
            cmd = [java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", self.jar, "agent",
                   "--name", h["name"], "--http", f"{self.http_host(h)}:{HTTP_PORT}", "--profile", self.profile]
            if self.config:
                cmd += ["--config", self.config]
            if bind_wildcard:
                cmd += ["--bind", ("0.0.0.0" if h["v4"] else "[::]") + f":{GOSSIP_PORT}", "--advertise", own]
            else:
                cmd += ["--bind", own]
            if h is not seed:
                cmd += ["--join", f"{Net.addr(seed)}:{GOSSIP_PORT}"]
            log = os.path.join(self.logdir, f"{self.name}-{h['name']}.log")
            self.logs[h["name"]] = log
            self.net.start(h, cmd, log)

    @staticmethod
    def http_host(h):
        return "127.0.0.1" if h["v4"] else "[::1]"

    def curl(self, h, method, path, data=None):
        cmd = ["curl", "-g", "-s", "-f", "--max-time", "5", "-X", method]
        if data is not None:
            cmd += ["--data-binary", data]
        r = self.net.exec(h, *cmd, f"http://{self.http_host(h)}:{HTTP_PORT}{path}")
        return r.stdout if r.returncode == 0 else None

    def states(self, h):
        out = self.curl(h, "GET", "/v1/members")
        if out is None:
            return None
        return {m["name"]: m["state"] for m in json.loads(out)["members"]}

    def put(self, h, m, key, value):
        return self.curl(h, "PUT", f"/v1/kv/{m}/{key}", value) is not None

    def entries(self, h, m):
        out = self.curl(h, "GET", f"/v1/kv/{m}")
        return None if out is None else {e["key"]: e.get("value") for e in json.loads(out)["entries"]}

    def events(self):
        """(t, observer, peer, new_state) for every membership transition, t in epoch seconds."""
        evs = []
        for name, log in self.logs.items():
            with open(log, errors="replace") as f:
                for line in f:
                    m = self.ISO_LINE.match(line)
                    if m:
                        t = dt.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
                    else:
                        m = self.LINE.match(line)
                        if not m:
                            continue
                        t = dt.datetime.combine(self.day, dt.time.fromisoformat(m.group(1))).timestamp()
                    rest = m.group(4)
                    if rest.startswith("joined") or rest.startswith("refuted"):
                        st = "alive"
                    elif rest.endswith("is suspected"):
                        st = "suspect"
                    elif rest.endswith("declared dead"):
                        st = "dead"
                    elif rest.endswith(" left"):
                        st = "left"
                    else:
                        continue
                    evs.append((t, m.group(2), m.group(3), st))
        return sorted(evs)


class Memberlist:
    """The memberlist anchor's node program; transitions from its 20 ms state poller."""

    name = "memberlist"

    def __init__(self, net, mlnode, logdir, profile):
        self.net, self.mlnode, self.logdir, self.profile = net, mlnode, logdir, profile
        self.logs = {}
        self.procs = []

    def start_all(self, bind_wildcard=False):
        seed = self.net.hosts[0]
        for h in self.net.hosts:
            cmd = [self.mlnode, "-bind", h["v4"] or h["v6"], "-port", str(GOSSIP_PORT), "-name", h["name"],
                   "-profile", self.profile, "-poll-ms", "20", "-quiet", "-print-config=false"]
            if h is not seed:
                cmd += ["-join", f"{Net.addr(seed)}:{GOSSIP_PORT}"]
            log = os.path.join(self.logdir, f"{self.name}-{h['name']}.jsonl")
            self.logs[h["name"]] = log
            # stdin stays open: the node shuts down at EOF.
            self.procs.append(self.net.start(h, cmd, log, stdin=subprocess.PIPE))

    def events(self):
        evs = []
        for name, log in self.logs.items():
            with open(log, errors="replace") as f:
                for line in f:
                    try:
                        e = json.loads(line)
                    except ValueError:
                        continue
                    if e.get("ev") == "state":
                        evs.append((e["t"] / 1000.0 if "t" in e else None, e["node"], e["peer"], e["to"]))
                    elif e.get("ev") == "join" and e.get("peer") != e.get("node"):
                        evs.append((e["t"] / 1000.0, e["node"], e["peer"], "joined"))
        return sorted(x for x in evs if x[0] is not None)

    def states(self, h):
        return None


# ------------------------------------------------------------------ helpers

def wait_until(what, pred, timeout, period=0.5):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(period)
    print(f"  timed out after {timeout:.0f} s: {what}", flush=True)
    return False


def all_alive(sys_, observers, members):
    for o in observers:
        s = sys_.states(o)
        if s is None or any(s.get(m["name"]) != "alive" for m in members):
            return False
    return True


def memberlist_formed(sys_, n):
    """Every node has had a join event for all n nodes (its own included)."""
    joined = {}
    for name, log in sys_.logs.items():
        peers = set()
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                for line in f:
                    if '"ev":"join"' in line:
                        try:
                            peers.add(json.loads(line)["peer"])
                        except ValueError:
                            pass
        joined[name] = len(peers)
    return all(v >= n for v in joined.values()) and len(joined) == n


def changes_about(evs, subject, observers, t0, t1):
    """Per observer, how many times its state of `subject` changed in [t0, t1], and when last."""
    counts, last, final, ever = {}, None, {}, {}
    for o in observers:
        counts[o] = 0
    cur = {}
    for t, o, p, st in evs:
        if p != subject or o not in counts:
            continue
        if t > t1:
            break  # evs is sorted: cur is the state at t1
        st = "alive" if st == "joined" else st
        prev = cur.get(o, "alive")
        cur[o] = st
        if t0 <= t and st != prev:
            counts[o] += 1
            last = t
    return counts, last, cur


def suspected_members(evs, subjects, observers, t0, t1):
    out = set()
    for t, o, p, st in evs:
        if t0 <= t <= t1 and o in observers and p in subjects and st in ("suspect", "dead"):
            out.add(p)
    return sorted(out)


def dead_declared(evs, subjects, observers, t0, t1):
    out = set()
    for t, o, p, st in evs:
        if t0 <= t <= t1 and o in observers and p in subjects and st == "dead":
            out.add((o, p))
    return sorted(out)


# ------------------------------------------------------------------ experiments

def form(sys_, net, timeout=180, **kw):
    sys_.start_all(**kw)
    t = time.time()
    if isinstance(sys_, Grapevine):
        ok = wait_until("cluster formed", lambda: all_alive(sys_, net.hosts, net.hosts), timeout)
    else:
        ok = wait_until("cluster formed", lambda: memberlist_formed(sys_, len(net.hosts)), timeout)
    if not ok:
        raise RuntimeError("cluster did not form")
    return time.time() - t


def exp_partition(sys_, net, args):
    form(sys_, net, bind_wildcard=True)
    time.sleep(args.settle)
    half = len(net.hosts) // 2
    a, b = net.hosts[:half], net.hosts[half:]
    t0 = time.time()
    net.partition(a, b)

    def sides_dead():
        for o in net.hosts:
            s = sys_.states(o)
            mine = a if o in a else b
            if s is None or any(s.get(m["name"]) != ("alive" if m in mine else "dead") for m in net.hosts):
                return False
        return True

    split_ok = wait_until("each side declares the other dead", sides_dead, 180)
    t_split = time.time() - t0
    written, acked = {}, 0
    for o in (a[0], b[0], a[-1], b[-1]):
        for i in range(5):
            k = f"{o['name']}-{i}"
            if sys_.put(o, "split", k, f"v{i}"):
                acked += 1
                written[k] = f"v{i}"
    t1 = time.time()
    net.heal()
    heal_ok = wait_until("all alive everywhere", lambda: all_alive(sys_, net.hosts, net.hosts), 300)
    t_heal = time.time() - t1
    kv_ok = wait_until("every write everywhere",
                       lambda: all(sys_.entries(o, "split") == written for o in net.hosts), 120)
    t_kv = time.time() - t1
    return {"split_detected": split_ok, "split_s": round(t_split, 1), "writes_acked": acked,
            "healed": heal_ok, "heal_all_alive_s": round(t_heal, 1), "writes_everywhere": kv_ok,
            "writes_everywhere_s": round(t_kv, 1)}


def exp_oneway(direction):
    def run(sys_, net, args):
        form(sys_, net)
        time.sleep(args.settle)
        faulty = net.hosts[-1]
        healthy = net.hosts[:-1]
        t0 = time.time()
        (net.block_inbound if direction == "in" else net.block_outbound)(faulty)
        time.sleep(args.oneway_seconds)
        t1 = time.time()
        net.heal()
        heal_ok = wait_until("all alive everywhere", lambda: all_alive(sys_, net.hosts, net.hosts), 300)
        t2 = time.time()
        evs = sys_.events()
        names = [h["name"] for h in healthy]
        wrong = dead_declared(evs, names, names, t0, t2)
        return {"fault": f"{faulty['name']} cannot {'receive' if direction == 'in' else 'send'}",
                "fault_s": args.oneway_seconds,
                "healthy_declared_dead": [f"{o} saw {p} dead" for o, p in wrong],
                "healthy_ever_suspected": suspected_members(evs, names, names, t0, t2),
                "faulty_declared_dead_by": sorted({o for t, o, p, st in evs
                                                   if t0 <= t <= t1 and p == faulty["name"] and st == "dead"}),
                "healed": heal_ok, "heal_all_alive_s": round(t2 - t1, 1)}
    return run


def exp_flaky(sys_, net, args):
    form(sys_, net)
    time.sleep(args.settle)
    flaky = net.hosts[-1]["name"]
    observers = [h["name"] for h in net.hosts[:-1]]
    t0 = time.time()
    net.inbound_loss(net.hosts[-1], args.loss)
    time.sleep(args.flaky_seconds)
    t1 = time.time()
    net.heal()
    time.sleep(args.after)
    t2 = time.time()
    evs = sys_.events()
    counts, last, final = changes_about(evs, flaky, observers, t0, t1)
    c = sorted(counts.values())
    finals = {o: final.get(o, "alive") for o in observers}
    agreed = len(set(finals.values())) == 1
    # The whole observation (fault and --after seconds): a stable verdict is suspect once during
    # the fault and alive once after it, so two changes.
    whole, last_whole, end = changes_about(evs, flaky, observers, t0, t2)
    w = sorted(whole.values())
    ends = {o: end.get(o, "alive") for o in observers}
    return {"flaky": flaky, "loss_pct": args.loss, "fault_s": args.flaky_seconds,
            "fault_start": round(t0, 3), "fault_end": round(t1, 3),
            "changes_per_observer": counts, "changes_median": statistics.median(c), "changes_max": max(c),
            # The last change any observer made during the fault: after it, all held one view.
            "agreed_after_s": round(last - t0, 1) if last is not None else 0.0,
            "states_at_fault_end": finals, "agreed_at_fault_end": agreed,
            "healthy_ever_suspected_by_healthy": suspected_members(evs, observers, observers, t0, t1),
            "healthy_ever_suspected_by_any": suspected_members(evs, observers, observers + [flaky], t0, t1),
            "healthy_declared_dead": [f"{o} saw {p} dead" for o, p in dead_declared(evs, observers, observers, t0, t1)],
            "changes_after_heal": sum(changes_about(evs, flaky, observers, t1, t2)[0].values()),
            "after_s": args.after, "changes_whole_per_observer": whole,
            "changes_whole_median": statistics.median(w), "changes_whole_max": max(w),
            # The last change by any observer, fault and after: from then on all held one view.
            "last_change_s": round(last_whole - t0, 1) if last_whole is not None else 0.0,
            "states_at_end": ends, "all_alive_at_end": all(v == "alive" for v in ends.values()),
            "healthy_ever_suspected_whole": suspected_members(evs, observers, observers, t0, t2),
            "healthy_declared_dead_whole": [f"{o} saw {p} dead"
                                            for o, p in dead_declared(evs, observers, observers, t0, t2)]}


def exp_ipv6(sys_, net, args):
    t = form(sys_, net)
    return {"formed_s": round(t, 1), "hosts": len(net.hosts)}


EXPERIMENTS = {"partition": exp_partition, "oneway-in": exp_oneway("in"), "oneway-out": exp_oneway("out"),
               "flaky": exp_flaky, "ipv6": exp_ipv6}
MEMBERLIST_OK = {"flaky"}  # the anchor has no HTTP API: only log-measured experiments


def summarize(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    print("| experiment | system | hosts | result |")
    print("|---|---|---|---|")
    for r in rows:
        keep = {k: v for k, v in r.items() if k not in ("experiment", "system", "hosts", "changes_per_observer",
                                                         "states_at_fault_end", "changes_whole_per_observer",
                                                         "states_at_end")}
        text = ", ".join(f"{k}={v}" for k, v in keep.items())
        print(f"| {r['experiment']} | {r['system']} | {r['hosts']} | {text} |")
    for r in rows:
        if "changes_per_observer" in r:
            print(f"\n{r['system']} flaky-host changes per observer: {r['changes_per_observer']}")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--summarize":
        return summarize(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jar", default="grapevine-agent/target/grapevine.jar")
    ap.add_argument("--mlnode", default="/tmp/grapevine-anchors/mlnode")
    ap.add_argument("--out", required=True)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--experiments", default="partition,oneway-in,oneway-out,flaky,ipv6")
    ap.add_argument("--systems", default="grapevine,memberlist")
    ap.add_argument("--profile", default="lan")
    ap.add_argument("--agent-config", help="a config file every Grapevine agent reads (--config), e.g. to "
                    "change one membership knob")
    ap.add_argument("--loss", type=int, default=80)
    ap.add_argument("--flaky-seconds", type=int, default=120)
    ap.add_argument("--oneway-seconds", type=int, default=60)
    ap.add_argument("--settle", type=int, default=5)
    ap.add_argument("--after", type=int, default=30, help="seconds observed after the flaky fault ends")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("error: needs root (network namespaces, nftables)", file=sys.stderr)
        return 2
    if not 2 <= args.hosts <= 200 or not 0 <= args.loss <= 100:
        print("error: --hosts must be 2..200 and --loss 0..100", file=sys.stderr)
        return 2
    if args.agent_config and not os.path.isfile(args.agent_config):
        print(f"error: --agent-config: no such file '{args.agent_config}'", file=sys.stderr)
        return 2
    for e in args.experiments.split(","):
        if e not in EXPERIMENTS:
            print(f"error: --experiments: unknown '{e}' (known: {', '.join(EXPERIMENTS)})", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # runs the atexit cleanups
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    results = os.path.join(args.out, "results.jsonl")
    for exp in args.experiments.split(","):
        for system in args.systems.split(","):
            if system == "memberlist" and exp not in MEMBERLIST_OK:
                continue
            logdir = os.path.join(args.out, "logs", f"{exp}")
            os.makedirs(logdir, exist_ok=True)
            net = Net(args.hosts, ipv4=exp != "ipv6", ipv6=exp == "ipv6")
            try:
                if system == "grapevine":
                    s = Grapevine(net, os.path.abspath(args.jar), logdir, args.profile,
                                  os.path.abspath(args.agent_config) if args.agent_config else None)
                else:
                    s = Memberlist(net, args.mlnode, logdir, args.profile)
                print(f"{exp} / {system}: {args.hosts} hosts", flush=True)
                t = time.time()
                r = EXPERIMENTS[exp](s, net, args)
                r = {"experiment": exp, "system": system, "hosts": args.hosts, "profile": args.profile,
                     "took_s": round(time.time() - t, 1), **r}
                if system == "grapevine" and args.agent_config:
                    with open(args.agent_config) as f:
                        r["agent_config"] = f.read().strip()
            except Exception as ex:  # recorded, and the next experiment still runs
                r = {"experiment": exp, "system": system, "hosts": args.hosts, "error": str(ex)}
            finally:
                net.close()
            print("  " + json.dumps(r), flush=True)
            with open(results, "a") as f:
                f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
