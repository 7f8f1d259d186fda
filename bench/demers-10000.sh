#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The N = 10,000 Demers tables of docs/dissemination.md in synchronous rounds: every variant, seeds
# 1000..1019 in two halves of 10 (so a run cut short still covers every variant), anti-entropy off
# then on (digest exchange every 5 rounds). One JVM per half, single-threaded, under nice; CSV rows
# are written as each variant finishes, the Markdown summary goes to out/*.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then mvn -q -pl grapevine-sim -am package -DskipTests >&2; fi
export SIM_NO_BUILD=1
export EXP_HEAP=${EXP_HEAP:-3g}
export EXP_JAVA_OPTS="${EXP_JAVA_OPTS:--XX:+UseParallelGC}"
mkdir -p out
x() { nice -n 5 bench/sim-experiment.sh DemersTable "$@"; }
for ae in 0 5; do
  for first in 1000 1010; do
    tag="demers-10000-r$([[ $ae == 0 ]] || echo -ae)-s$first"
    uptime > "out/$tag.md"
    x --nodes 10000 --seeds 10 --first-seed "$first" --threads 1 --ae-rounds "$ae" --csv "out/$tag.csv" >> "out/$tag.md" 2>&1
    uptime >> "out/$tag.md"
  done
done
