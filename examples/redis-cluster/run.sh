#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a Redis-Cluster-style cluster of grapevine-redis nodes on 127.0.0.1, one process per node.
#   run.sh start N BASEPORT   N nodes (N even, >= 2): N/2 primaries with the 16,384 slots split
#                             evenly, N/2 replicas (one per primary); RESP on BASEPORT..BASEPORT+N-1,
#                             Grapevine on BUSBASE.. (default BASEPORT+10000, below 32768)
#   run.sh stop               stops exactly the processes start recorded
#   run.sh pids               prints "PID RESPPORT ROLE ID" per node
#   run.sh classpath          compiles and prints the class path (export it as GRAPEVINE_REDIS_CP
#                             to skip the compile on later starts)
# State (PIDs, logs) in $RUN_DIR (default examples/redis-cluster/run). Extra node options in
# $NODE_OPTS (for example "--node-timeout-ms 1000 --failover-delay-scale 0.2"). JVM flags in
# $JVM_OPTS (default: 128 MiB heap, serial GC, C1 only with one compiler thread, no perf data,
# 256 KiB stacks: the cheapest start and idle measured). Nodes start one after another, each once
# it has joined (at most $START_WAIT_S seconds each, default 20); START_ONE_BY_ONE=0 starts them all
# at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
RUN_DIR="${RUN_DIR:-$here/run}"
pidfile="$RUN_DIR/pids"
JVM_OPTS="${JVM_OPTS:--Xmx128m -Xss256k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData}"
START_ONE_BY_ONE="${START_ONE_BY_ONE:-1}"
START_WAIT_S="${START_WAIT_S:-20}"

die() { echo "run.sh: $*" >&2; exit 2; }

classpath() {
  if [ -n "${GRAPEVINE_REDIS_CP:-}" ]; then echo "$GRAPEVINE_REDIS_CP"; return; fi
  (cd "$root" && ./mvnw -B -q -o compile -pl grapevine-redis -am -Dmaven.javadoc.skip=true -Dmaven.source.skip >&2)
  local m2="${MAVEN_REPO:-$HOME/.m2/repository}" v
  v=$(sed -n 's:.*<slf4j.version>\(.*\)</slf4j.version>.*:\1:p' "$root/pom.xml")
  echo "$root/grapevine-core/target/classes:$root/grapevine-runtime/target/classes:$root/grapevine-redis/target/classes:$m2/org/slf4j/slf4j-api/$v/slf4j-api-$v.jar:$m2/org/slf4j/slf4j-simple/$v/slf4j-simple-$v.jar"
}

# Waits (at most START_WAIT_S seconds) until the node logging to $1 has joined (the first node:
# until it is up), so that the nodes start one after another: a JVM's start (class loading, JIT)
# costs about half a second of CPU, and 60 of them at once on 2 cores starved the nodes already in
# the cluster into missing their probes (hundreds of false failure verdicts while forming).
await_joined() {
  local log="$1" i="$2" pid="$3" want="joined through" t
  [ "$i" -eq 0 ] && want="grapevine-redis node "
  for ((t = 0; t < START_WAIT_S * 20; t++)); do
    grep -q "$want" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  echo "run.sh: node $((i + 1)) not joined after ${START_WAIT_S} s; starting the next anyway" >&2
}

newid() { od -An -tx1 -N20 /dev/urandom | tr -d ' \n'; }

start() {
  local n="${1:-}" base="${2:-}"
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ $((n % 2)) -eq 0 ] || die "N must be an even number >= 2, got '${n}'"
  [[ "$base" =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ $((base + n)) -le 32768 ] || die "BASEPORT must be 1024..$((32768 - n)), got '${base}'"
  local busbase="${BUSBASE:-$((base + 10000))}"
  [ $((busbase + n)) -le 32768 ] || die "bus ports $busbase.. must stay below 32768: set BUSBASE"
  [ -s "$pidfile" ] && die "already started ($pidfile); run.sh stop first"
  mkdir -p "$RUN_DIR"
  local cp; cp="$(classpath)"
  local java="${JAVA:-java}" p=$((n / 2)) ids=() i
  for ((i = 0; i < n; i++)); do ids+=("$(newid)"); done
  : >"$pidfile"
  for ((i = 0; i < n; i++)); do
    local args=(--port $((base + i)) --bus-port $((busbase + i)) --id "${ids[$i]}")
    [ "$i" -gt 0 ] && args+=(--seed "127.0.0.1:$busbase")
    local role
    if [ "$i" -lt "$p" ]; then
      local from=$((i * 16384 / p)) to=$(((i + 1) * 16384 / p - 1))
      args+=(--slots "$from-$to" --config-epoch $((i + 1)))
      role=primary
    else
      args+=(--replica-of "${ids[$((i - p))]}")
      role=replica
    fi
    # shellcheck disable=SC2086
    # shellcheck disable=SC2086
    "$java" $JVM_OPTS -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS -cp "$cp" io.grapevine.redis.RedisNodeMain "${args[@]}" ${NODE_OPTS:-} \
      >"$RUN_DIR/node-$((base + i)).log" 2>&1 &
    echo "$! $((base + i)) $role ${ids[$i]}" >>"$pidfile"
    [ "$START_ONE_BY_ONE" = 1 ] && await_joined "$RUN_DIR/node-$((base + i)).log" "$i" "$!"
  done
  echo "started $n nodes: RESP 127.0.0.1:$base..$((base + n - 1)), pids in $pidfile"
}

stop() {
  [ -f "$pidfile" ] || { echo "nothing to stop"; return; }
  while read -r pid _; do kill "$pid" 2>/dev/null || true; done <"$pidfile"
  while read -r pid _; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done <"$pidfile"
  rm -f "$pidfile"
  echo "stopped"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  pids) cat "$pidfile" ;;
  classpath) classpath ;;
  *) die "usage: run.sh start N BASEPORT | stop | pids | classpath" ;;
esac
