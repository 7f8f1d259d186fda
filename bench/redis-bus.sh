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
# The anchor runs under `python3 -O`: its one assert pins client ports to 30000+, whose bus ports
# (+10000) would be above 32767; the file itself is used as is.
#   REPS=3 N=6 WINDOW=10 OUT=/tmp/grapevine-redis-bench bench/redis-bus.sh
# LOAD=1 adds, per rep, an idle run of each system (grapevine-redis defaults; Redis node timeout
# 1000 ms) with LOAD_HOGS busy loops (default 4) for LOAD_SECS (default 60) seconds, counting
# fail flags, epoch rises and changed primaries (bench/redis_load.py); LOAD_ONLY=1 skips the
# failover runs. Prints markdown tables; JSON per run in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
N=${N:-6}
WINDOW=${WINDOW:-10}
# seconds between the cluster formed and the bandwidth window (then the kill), both systems
SETTLE=${SETTLE:-3}
# grapevine-redis only: seconds of the failover watcher's polling before the kill (JIT-warm request
# path); Redis's anchor polls from the kill on, and a C server has nothing to warm
WARM=${WARM:-0}
OUT=${OUT:-/tmp/grapevine-redis-bench}
ANCHOR=${REDIS_ANCHOR:-../shared/anchors/redis-cluster}
# "default": RedisNodeConfig's defaults (probe 300 ms, suspicion multiplier 1, failover delays x 0.5);
# "probe500": the defaults until 2026-12-07, for comparison
GV_CONFIGS=${GV_CONFIGS:-"default:|probe500:--probe-interval-ms 500"}
REDIS_TIMEOUTS=${REDIS_TIMEOUTS:-"1000 5000"}
LOAD=${LOAD:-0}
LOAD_ONLY=${LOAD_ONLY:-0}
LOAD_SECS=${LOAD_SECS:-60}
LOAD_HOGS=${LOAD_HOGS:-4}
command -v redis-server >/dev/null || { echo "redis-bus.sh: redis-server not installed" >&2; exit 2; }
[ -f "$ANCHOR/rcbench.py" ] || { echo "redis-bus.sh: $ANCHOR/rcbench.py not found (set REDIS_ANCHOR)" >&2; exit 2; }
mkdir -p "$OUT"
# build once, then every run reuses the class path
GRAPEVINE_REDIS_CP="$(examples/redis-cluster/run.sh classpath)"
export GRAPEVINE_REDIS_CP
# REPS=0 only prints the table of the runs already in $OUT
for rep in $(seq 1 "$REPS"); do
  if [ "$LOAD" = 1 ]; then
    python3 bench/redis_load.py --system gv --nodes "$N" --base-port 21000 --secs "$LOAD_SECS" --hogs "$LOAD_HOGS" \
      --anchor "$ANCHOR" --tag "load_gv_n${N}_r${rep}" --out "$OUT/load_gv_n${N}_r${rep}.json" || true
    python3 bench/redis_load.py --system redis --nodes "$N" --base-port 12000 --secs "$LOAD_SECS" --hogs "$LOAD_HOGS" \
      --node-timeout 1000 --anchor "$ANCHOR" --tag "load_redis_n${N}_r${rep}" --out "$OUT/load_redis_n${N}_r${rep}.json" || true
  fi
  [ "$LOAD_ONLY" = 1 ] && continue
  IFS='|' read -ra cfgs <<<"$GV_CONFIGS"
  for c in "${cfgs[@]}"; do
    name=${c%%:*} opts=${c#*:}
    python3 bench/redis_bus.py --nodes "$N" --base-port 21000 --window "$WINDOW" --settle "$SETTLE" --warm "$WARM" \
      --node-opts "$opts" --tag "gv_${name}_n${N}_r${rep}" --out "$OUT/gv_${name}_n${N}_r${rep}.json" || true
  done
  for t in $REDIS_TIMEOUTS; do
    python3 -O "$ANCHOR/rcbench.py" --nodes "$N" --node-timeout "$t" --layout replicas --window "$WINDOW" --settle "$SETTLE" --base-port 12000 \
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
load = sorted(f for f in glob.glob(os.path.join(out, "load_*_n%s_r*.json" % n)) if not f.endswith(".anchor.json"))
if load:
    print()
    print("| system | run | hogs × s | load avg before..end | fail flags seen | PFAIL flags seen | epoch rise | primaries changed | own counters |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in load:
        d = json.load(open(f))
        if "error" in d:
            print("| %s | %s | error: %s |||||||" % (d["system"], d["tag"], d["error"]))
            continue
        own = ", ".join("%s %d" % (k.replace("grapevine_", ""), v) for k, v in
                        sorted(list(d["counters"].items()) + list(d["log_lines"].items())))
        print("| %s | %s | %d × %d | %s..%s | %d | %d | %d | %d | %s |" % (
            "grapevine-redis" if d["system"] == "gv" else "Redis 7.0 (node timeout %d ms)" % d["node_timeout_ms"],
            d["tag"], d["hogs"], d["secs"], d["load_before"][0], d["load_end"][0], d["fail_flags_seen"],
            d["pfail_flags_seen"], d["epoch_rise"], d["primaries_changed"], own))
PY
