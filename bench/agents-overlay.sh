#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# N agent processes on 127.0.0.1 with user events over HyParView + Plumtree (not part of the test
# suite): every agent joins through the first, E events are published from different agents, and
# the run waits (bounded) until every agent has delivered every event exactly once.
#   bench/agents-overlay.sh [N=50] [E=10] [OUT=docs/results/agents-overlay-N.txt]
# Ports: gossip 20000+i, HTTP 21000+i (below the ephemeral range). Builds the agent jar unless
# NO_BUILD=1. Only the processes it starts are stopped, by PID, on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50}"
E="${2:-10}"
OUT="${3:-docs/results/agents-overlay-$N.txt}"
if (( N < 2 || N > 200 )); then echo "N must be 2..200, got $N" >&2; exit 2; fi
if (( E < 1 || E > 100 )); then echo "E must be 1..100, got $E" >&2; exit 2; fi
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  mvn -q -pl grapevine-agent -am package -DskipTests >&2
fi
WORK="$(mktemp -d)"
cp grapevine-agent/target/grapevine.jar "$WORK/"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cat > "$WORK/overlay.properties" <<'EOF'
profile=local
overlay=hyparview-plumtree
EOF
JAVA_OPTS=(-Xmx64m -Xss256k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1)
now_ms() { date +%s%3N; }
start_ms=$(now_ms)
for ((i = 0; i < N; i++)); do
  args=(agent --name "a$i" --bind "127.0.0.1:$((20000 + i))" --http "127.0.0.1:$((21000 + i))"
    --config "$WORK/overlay.properties")
  if (( i > 0 )); then args+=(--join 127.0.0.1:20000); fi
  java "${JAVA_OPTS[@]}" -jar "$WORK/grapevine.jar" "${args[@]}" > "$WORK/a$i.log" 2>&1 &
  PIDS+=($!)
done
echo "started $N agents (PIDs ${PIDS[0]}..${PIDS[-1]})" >&2

# Bounded wait: every agent sees N alive members.
deadline=$(( $(now_ms) + 600000 ))
for ((i = 0; i < N; i++)); do
  until [[ "$(curl -s --max-time 2 "http://127.0.0.1:$((21000 + i))/v1/health" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["members"]["alive"])' 2>/dev/null)" == "$N" ]]; do
    if (( $(now_ms) > deadline )); then echo "agent a$i does not see $N alive members after 600 s" >&2; exit 1; fi
    sleep 0.5
  done
done
joined_ms=$(now_ms)
echo "all $N agents see $N alive after $(( (joined_ms - start_ms) / 1000 )) s" >&2

metric() { # agent index, metric name -> value (or empty)
  curl -s --max-time 2 "http://127.0.0.1:$((21000 + $1))/metrics" | awk -v m="$2" '$1 == m {print int($2)}'
}
send_ms=$(now_ms)
for ((e = 0; e < E; e++)); do
  origin=$(( (e * 7) % N ))
  curl -s --max-time 5 -X POST --data-binary "event $e from a$origin" \
    "http://127.0.0.1:$((21000 + origin))/v1/events/bench" > /dev/null
done
# Bounded wait: every agent delivered exactly E events (the publisher included).
deadline=$(( $(now_ms) + 120000 ))
for ((i = 0; i < N; i++)); do
  until [[ "$(metric "$i" grapevine_events_delivered_total)" == "$E" ]]; do
    if (( $(now_ms) > deadline )); then
      echo "agent a$i delivered $(metric "$i" grapevine_events_delivered_total) of $E events after 120 s" >&2; exit 1
    fi
    sleep 0.2
  done
done
delivered_ms=$(now_ms)
# Hold a few seconds more: a duplicate delivery would show as a count above E.
sleep 3
over=0
for ((i = 0; i < N; i++)); do
  d=$(metric "$i" grapevine_events_delivered_total)
  if [[ "$d" != "$E" ]]; then over=$((over + 1)); echo "agent a$i delivered $d (expected $E)" >&2; fi
done
published=0
for ((i = 0; i < N; i++)); do
  p=$(metric "$i" grapevine_events_published_total); published=$((published + ${p:-0}))
done
overlay_logs=$(grep -l "events over hyparview-plumtree overlay" "$WORK"/a*.log | wc -l)
rss_kb=0
for p in "${PIDS[@]}"; do r=$(ps -o rss= -p "$p" 2>/dev/null || echo 0); rss_kb=$((rss_kb + r)); done
mkdir -p "$(dirname "$OUT")"
{
  echo "# bench/agents-overlay.sh $N $E ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1))"
  echo "agents: $N processes, overlay=hyparview-plumtree (logged by $overlay_logs of $N)"
  echo "all alive everywhere: $(( (joined_ms - start_ms) / 1000 )) s after the first start"
  echo "events: $E published ($published counted by publishers), all delivered on all $N agents $(( delivered_ms - send_ms )) ms after the first send"
  echo "agents with a delivered count other than $E, 3 s later: $over"
  echo "total RSS of the agents: $(( rss_kb / 1024 )) MiB"
} | tee "$OUT"
(( over == 0 ))
