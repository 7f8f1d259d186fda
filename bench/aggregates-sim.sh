#!/usr/bin/env bash
# Reproduces the "Measured in the simulator" numbers of docs/aggregates.md: one CSV per run under
# out/agg/ (per-round variance, worst AVG/COUNT error, COUNT spread, mass), then the charts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then mvn -q -pl grapevine-sim -am package -DskipTests >&2; fi
export SIM_NO_BUILD=1
mkdir -p out/agg
a() { local name=$1; shift; bench/sim-experiment.sh AggregationRun --csv "out/agg/$name.csv" "$@" 2>&1 | grep -v '^round' | tee "out/agg/$name.log"; }
# Clean network, N = 10^5, the three modes.
for m in PUSH_PULL FLOW PUSH_SUM; do EXP_HEAP=2g a clean-$m-100000 --nodes 100000 --mode $m --rounds 40; done
# 5% datagram loss.
for m in PUSH_PULL FLOW; do EXP_HEAP=2g a loss5-$m-100000 --nodes 100000 --mode $m --rounds 40 --loss 0.05; done
# 1% churn per round, epochs of 40 rounds reported after 20.
EXP_HEAP=3g a churn1-FLOW-100000 --nodes 100000 --mode FLOW --rounds 120 --churn 0.01 --epoch-rounds 40 --report-after 20
# N = 10^6, push-pull averaging and flow updating.
for m in PUSH_PULL FLOW; do EXP_HEAP=12g a clean-$m-1000000 --nodes 1000000 --mode $m --rounds 30; done
