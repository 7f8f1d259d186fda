#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CPU the nodes of a running grapevine-redis cluster spend answering a client that polls every
node with one command, in rounds (the command pipelined to every node, then every reply read), as a
failover watcher does with CLUSTER NODES:
  bench/redis_poll_cost.py [--hz 100] [--secs 8] [--command "CLUSTER NODES"] [PIDS_FILE]
PIDS_FILE is run.sh's (default examples/redis-cluster/run/pids: "PID RESPPORT ROLE ID" per line).
Prints the rounds completed and the nodes' CPU (user + system, in cores) over the run."""
import argparse, os, socket, time


def ticks(pids):
    t = 0
    for p in pids:
        with open("/proc/%d/stat" % p) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        t += int(fields[11]) + int(fields[12])
    return t


def read_reply(s, buf):
    """Reads one RESP reply (simple, integer, error or bulk string) and returns the bytes after it."""
    while b"\r\n" not in buf:
        buf += s.recv(65536)
    head, rest = buf.split(b"\r\n", 1)
    if head[:1] != b"$" or head == b"$-1":
        return rest
    n = int(head[1:])
    while len(rest) < n + 2:
        rest += s.recv(65536)
    return rest[n + 2:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hz", type=float, default=100.0, help="rounds per second at most")
    ap.add_argument("--secs", type=float, default=8.0)
    ap.add_argument("--command", default="CLUSTER NODES")
    ap.add_argument("pids_file", nargs="?", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "examples", "redis-cluster", "run", "pids"))
    a = ap.parse_args()
    nodes = [ln.split() for ln in open(a.pids_file) if ln.strip()]
    pids = [int(n[0]) for n in nodes]
    args = a.command.split()
    cmd = ("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in args)).encode()
    conns = [socket.create_connection(("127.0.0.1", int(n[1])), timeout=5) for n in nodes]
    t0, start, rounds = ticks(pids), time.time(), 0
    while time.time() - start < a.secs:
        for s in conns:
            s.sendall(cmd)
        for s in conns:
            read_reply(s, b"")
        rounds += 1
        time.sleep(1 / a.hz)
    dt = time.time() - start
    cores = (ticks(pids) - t0) / os.sysconf("SC_CLK_TCK") / dt
    print("%s: %d nodes, %d rounds in %.1f s (%.1f per s), nodes' CPU %.2f cores"
          % (a.command, len(nodes), rounds, dt, rounds / dt, cores))
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
