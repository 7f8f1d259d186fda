#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# grapevine-redis against real Redis Cluster (redis-server 7.0) at N nodes (default 6: 3 primaries,
# 3 replicas), on loopback, one process per node:
#   - time from SIGKILL of a primary to its replica being primary (its own view) and seen as
#     primary by every survivor (CLUSTER NODES polled every 10 ms);
#   - steady-state bus bytes per node per second with no client traffic.
# grapevine-redis: bench/redis_bus.py over examples/redis-cluster/run.sh, bus bytes = Grapevine's
# transport counters (UDP + TCP payload). Redis: the anchor harness in ../shared/anchors/redis-cluster
# (rcbench.py, called as is), bus bytes = /proc/PID/io wchar (every write of the process; on an idle
# cluster that is the bus). Needs redis-server and redis-cli (apt-get install redis-server).
#   REPS=3 N=6 WINDOW=10 OUT=/tmp/grapevine-redis-bench bench/redis-bus.sh
# Prints a markdown table; JSON per run in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
N=${N:-6}
WINDOW=${WINDOW:-10}
OUT=${OUT:-/tmp/grapevine-redis-bench}
ANCHOR=${REDIS_ANCHOR:-../shared/anchors/redis-cluster}
GV_CONFIGS=${GV_CONFIGS:-"probe1000:--probe-interval-ms 1000|probe300:--probe-interval-ms 300"}
REDIS_TIMEOUTS=${REDIS_TIMEOUTS:-"1000 5000"}
command -v redis-server >/dev/null || { echo "redis-bus.sh: redis-server not installed" >&2; exit 2; }
[ -f "$ANCHOR/rcbench.py" ] || { echo "redis-bus.sh: $ANCHOR/rcbench.py not found (set REDIS_ANCHOR)" >&2; exit 2; }
mkdir -p "$OUT"
# build once, then every run reuses the class path
GRAPEVINE_REDIS_CP="$(examples/redis-cluster/run.sh classpath)"
export GRAPEVINE_REDIS_CP
# REPS=0 only prints the table of the runs already in $OUT
for rep in $(seq 1 "$REPS"); do
  IFS='|' read -ra cfgs <<<"$GV_CONFIGS"
  for c in "${cfgs[@]}"; do
    name=${c%%:*} opts=${c#*:}
    python3 bench/redis_bus.py --nodes "$N" --base-port 21000 --window "$WINDOW" \
      --node-opts "$opts" --tag "gv_${name}_n${N}_r${rep}" --out "$OUT/gv_${name}_n${N}_r${rep}.json" || true
  done
  for t in $REDIS_TIMEOUTS; do
    python3 "$ANCHOR/rcbench.py" --nodes "$N" --node-timeout "$t" --layout replicas --window "$WINDOW" --base-port 12000 \
      --tag "redis_t${t}_n${N}_r${rep}" --out "$OUT/redis_t${t}_n${N}_r${rep}.json" || true
  done
done
python3 - "$OUT" "$N" <<'PY'
import glob, json, os, re, sys
out, n = sys.argv[1], sys.argv[2]
rows = {}
for f in sorted(glob.glob(os.path.join(out, "*_n%s_r*.json" % n))):
    d = json.load(open(f))
    if "error" in d or "failure" not in d:
        continue
    key = re.sub(r"_n\d+_r\d+$", "", d["tag"])
    fl = d["failure"]
    if key.startswith("gv_"):
        bw, cpu = d["bandwidth"]["bus_sent_per_s_median"], d["bandwidth"]["cpu_pct_median"]
    else:
        s = d["bandwidth"]["per_node_summary"]
        bw, cpu = s["wchar_per_s"]["median"], s["cpu_pct"]["median"]
    rows.setdefault(key, []).append((fl.get("all_fail_s"), fl.get("replica_self_promoted_s"),
                                     fl.get("promotion_seen_everywhere_s"), bw, cpu))
def cell(v, fmt="%.2f"):
    v = sorted(x for x in v if x is not None)
    if not v:
        return "n/a"
    m = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    return (fmt + " [" + fmt + "–" + fmt + "]") % (m, v[0], v[-1]) if len(v) > 1 else fmt % m
print("| system | config | runs | failed everywhere (s) | replica promoted (s) | promotion seen everywhere (s) | bus bytes sent/s per node | CPU % per node |")
print("|---|---|---|---|---|---|---|---|")
for k in sorted(rows):
    r = rows[k]
    system = "grapevine-redis" if k.startswith("gv_") else "Redis 7.0 cluster"
    cfg = k[3:] if k.startswith("gv_") else "node-timeout " + k.split("_t")[1] + " ms"
    print("| %s | %s | %d | %s | %s | %s | %s | %s |" % (system, cfg, len(r),
          cell([x[0] for x in r]), cell([x[1] for x in r]), cell([x[2] for x in r]),
          cell([x[3] for x in r], "%.0f"), cell([x[4] for x in r])))
PY
