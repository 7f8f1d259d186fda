#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the simulator numbers of docs/simulation.md and docs/benchmarks.md ("Simulator scale").
# Each run writes results.json, timeseries.csv and chart.svg/png under out/<name>/.
# Long: about an hour on a busy 2-core machine. Heaps stay below 13 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-sim -am package -DskipTests >&2
export SIM_NO_BUILD=1
run() { local name=$1 heap=$2; shift 2; echo "== $name"; SIM_HEAP=$heap bench/simulate.sh --no-progress --out "out/$name" "$@" | tee "out/$name.log"; }
mkdir -p out
# Push-pull rumor, synchronous rounds: cost vs N up to a million nodes.
for n in 1000 10000 100000; do run rumor-$n 2g --scenario scenarios/rumor-1m.yaml --nodes $n; done
run rumor-1000000 6g --scenario scenarios/rumor-1m.yaml
# Lifeguard check: 1% slow nodes, Lifeguard on vs off.
run lifeguard-on 4g --scenario scenarios/lifeguard-slow.yaml
run lifeguard-off 4g --scenario scenarios/lifeguard-slow.yaml --no-lifeguard
# Full membership cost vs N (join through 3 seeds over 30 s, 5% loss, one crash at 90 s, 180 s).
for n in 100 300 1000 2000; do run membership-$n 12g --scenario scenarios/membership-1k.yaml --nodes $n; done
