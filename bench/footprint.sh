#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent's footprint as an operator would see it (not part of the test suite).
#
# Usage: bench/footprint.sh [--skip-compare] [--minute SECONDS] [--out DIR]
#
# 1. Unpacks grapevine-dist/target/grapevine-VERSION.tar.gz (built with ./mvnw if missing) into a
#    clean temporary directory, starts ten agents with its bin/grapevine (loopback, gossip ports
#    25000-25009, HTTP 25100-25109), checks that each one lists ten alive members with
#    'bin/grapevine members', and after a minute reports their median RSS and CPU beside an idle
#    JVM (bench/footprint/Idle.java: Thread.sleep) started with the same JVM flags, which are read
#    from the packaged launcher.
# 2. Runs bench/compare-membership for Grapevine and memberlist at N=10 and N=50, one process per
#    node, one run, with the Grapevine nodes on the same JVM flags: CPU, RSS and crash detection
#    side by side, as ratios (about 10 minutes on 2 cores).
# Only processes started here are stopped, by PID; everything is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
minute=60
compare=1
out=/tmp/footprint/run-$(date -u +%Y%m%dT%H%M%SZ)
while [[ $# -gt 0 ]]; do
  case $1 in
    --skip-compare) compare=0; shift ;;
    --minute) minute=${2:?--minute needs seconds}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    *) echo "footprint: unknown option $1 (expected --skip-compare, --minute S, --out DIR)" >&2; exit 2 ;;
  esac
done
[[ $minute =~ ^[0-9]+$ && $minute -ge 10 && $minute -le 600 ]] || { echo "footprint: --minute must be 10..600, got $minute" >&2; exit 2; }
mkdir -p "$out"

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
tarball=$root/grapevine-dist/target/grapevine-$version.tar.gz
if [[ ! -f $tarball ]]; then
  echo "footprint: building the distribution (./mvnw package)"
  ./mvnw -q -B package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip -pl grapevine-dist -am
fi
work=$(mktemp -d /tmp/footprint-XXXXXX)
tar xzf "$tarball" -C "$work"
home=$work/grapevine-$version
gv=$home/bin/grapevine
# The agent's flags, exactly as the launcher passes them.
flags=$(awk '/^ *agent\)/{a=1} a && /opts="/{sub(/.*opts="/, ""); sub(/".*/, ""); print; exit}' "$gv")
[[ -n $flags ]] || { echo "footprint: no agent flags found in $gv" >&2; exit 1; }
mkdir -p "$work/idle"
javac -d "$work/idle" "$root/bench/footprint/Idle.java"

pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc: $(nproc); loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "agent flags: $flags"
} | tee "$out/machine.txt"

# shellcheck disable=SC2086 # the flags are words on purpose
java $flags -cp "$work/idle" Idle &
idle=$!
pids+=("$idle")
n=10
for i in $(seq 0 $((n - 1))); do
  join=()
  [[ $i -gt 0 ]] && join=(--join 127.0.0.1:25000)
  "$gv" agent --name "node-$i" --bind "127.0.0.1:$((25000 + i))" --http "127.0.0.1:$((25100 + i))" \
    "${join[@]}" --log-level warn >"$out/agent-$i.log" 2>&1 &
  pids+=("$!")
done

# Every agent must list all ten as alive (bounded: 90 s).
deadline=$((SECONDS + 90))
while :; do
  ok=0
  for i in $(seq 0 $((n - 1))); do
    alive=$("$gv" members --http "127.0.0.1:$((25100 + i))" 2>/dev/null | grep -c ' alive ' || true)
    [[ $alive -eq $n ]] && ok=$((ok + 1))
  done
  [[ $ok -eq $n ]] && break
  if [[ $SECONDS -ge $deadline ]]; then
    echo "footprint: only $ok of $n agents list $n alive members after 90 s (logs in $out)" >&2
    exit 1
  fi
  sleep 1
done
"$gv" members --http 127.0.0.1:25100 | tee "$out/members.txt"
echo "footprint: all $n agents list $n alive members; measuring for $minute s"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
declare -A t0
for p in "${pids[@]}"; do t0[$p]=$(ticks "$p"); done
sleep "$minute"
hz=$(getconf CLK_TCK)
: >"$out/agents.txt"
for p in "${pids[@]:1}"; do
  echo "$(rss "$p") $(( $(ticks "$p") - ${t0[$p]} ))" >>"$out/agents.txt"
done
idle_rss=$(rss "$idle")
idle_cpu=$(( $(ticks "$idle") - ${t0[$idle]} ))
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
agent_rss=$(cut -d' ' -f1 "$out/agents.txt" | median)
agent_cpu=$(cut -d' ' -f2 "$out/agents.txt" | median)
{
  echo
  echo "| process (after $minute s, $n agents) | median RSS (MiB) | CPU (% of a core) |"
  echo "| --- | ---: | ---: |"
  awk -v r="$agent_rss" -v c="$agent_cpu" -v hz="$hz" -v s="$minute" \
    'BEGIN {printf "| agent | %.1f | %.2f |\n", r / 1024, 100 * c / hz / s}'
  awk -v r="$idle_rss" -v c="$idle_cpu" -v hz="$hz" -v s="$minute" \
    'BEGIN {printf "| idle JVM, same flags | %.1f | %.2f |\n", r / 1024, 100 * c / hz / s}'
  awk -v a="$agent_rss" -v i="$idle_rss" 'BEGIN {printf "| agent above idle | %.1f | |\n", (a - i) / 1024}'
} | tee "$out/footprint.md"
cleanup
pids=()

if [[ $compare -eq 1 ]]; then
  echo "footprint: Grapevine vs memberlist, N=10 and 50, one process per node (bench/compare-membership)"
  bench/compare-membership --systems grapevine,memberlist --sizes 10,50 --runs 1 \
    --gv-jvm-opts "$flags -Dorg.slf4j.simpleLogger.defaultLogLevel=warn" --out "$out/compare"
fi
echo "footprint: results in $out"
