#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs scenarios through the launcher (./grapevine simulate), one after another, each with a GC log
# (-Xlog:gc, for the peak heap) under /usr/bin/time -v (wall time, peak RSS), then prints the table
# of docs/benchmarks.md ("Every scenario") with bench/scenario_table.py.
#   bench/scenarios.sh                      every scenario but the ones that need an hour or more
#   bench/scenarios.sh scenarios/flaky-1k.yaml scenarios/bootstrap-2k.yaml
# Output: out/scenarios/<name>/ (the run's files, gc.log, time.txt, load.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "scenarios.sh: needs /usr/bin/time (GNU time)" >&2; exit 2; }
files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
  # membership-10k*: about an hour each; membership-5k-storm*: six to seven minutes each.
  mapfile -t files < <(ls scenarios/*.yaml | grep -v -e membership-10k -e membership-5k-storm)
fi
mkdir -p out/scenarios
for f in "${files[@]}"; do
  name=$(basename "$f" .yaml)
  dir="out/scenarios/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  uptime > "$dir/load.txt"
  rc=0
  GRAPEVINE_JAVA_OPTS="-Xlog:gc:file=$dir/gc.log" /usr/bin/time -v -o "$dir/time.txt" \
    ./grapevine simulate --no-progress --scenario "$f" --out "$dir" --max-wall 7m >"$dir/stdout.txt" 2>"$dir/stderr.txt" \
    || rc=$?
  uptime >> "$dir/load.txt"
  echo "$name: exit $rc" >&2
done
python3 bench/scenario_table.py out/scenarios
