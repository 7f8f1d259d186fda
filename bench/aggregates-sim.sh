#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the "Measured in the simulator" numbers of docs/aggregates.md: one CSV per run under
# out/agg/ (per-round variance, worst AVG/COUNT error, COUNT spread, mass), written row by row as
# rounds finish, then the charts. Runs one at a time, single-threaded (serial GC), under nice.
#   bench/aggregates-sim.sh            # N = 10^4 and 10^5 (about 40 min on the shared 2-core machine)
# docs/results/agg/ holds the CSVs and logs of the runs in docs/aggregates.md (copied from out/agg/).
#   AGG_LARGE=1 bench/aggregates-sim.sh  # adds N = 10^6 (clean PUSH_PULL and FLOW, FLOW under 5% loss and 1% churn; 4-6 GB heap)
#   AGG_ONLY=large bench/aggregates-sim.sh  # only N = 10^6
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then mvn -q -pl grapevine-sim -am package -DskipTests >&2; fi
export SIM_NO_BUILD=1
export EXP_JAVA_OPTS="-XX:+UseSerialGC ${EXP_JAVA_OPTS:-}"
mkdir -p out/agg
a() { local name=$1; shift; echo "$(date -u +%T) $name (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  nice -n 5 bench/sim-experiment.sh AggregationRun --csv "out/agg/$name.csv" "$@" > "out/agg/$name.log" 2>&1
  tail -2 "out/agg/$name.log" >&2; }
# 1% churn per round: epochs of 40 rounds reported after 25 (FLOW needs ~30 rounds to mix at
# 10^5), 20 after 10 at 10^4; neighbor timeout 2.4 s = 12 rounds, the least allowed with 6 neighbors
# (2 x 6 x 200 ms); census 0 (only the nodes an epoch began with take part) against the default 10.
if [[ "${AGG_ONLY:-}" != large ]]; then
  for m in PUSH_PULL FLOW PUSH_SUM; do EXP_HEAP=1g a clean-$m-10000 --nodes 10000 --mode $m --rounds 60 --stop-when-converged; done
  for m in PUSH_PULL FLOW; do EXP_HEAP=1g a loss5-$m-10000 --nodes 10000 --mode $m --rounds 60 --loss 0.05; done
  EXP_HEAP=1g a loss5-FLOW-noretry-10000 --nodes 10000 --mode FLOW --rounds 60 --loss 0.05 --retries 0
  for seed in 1 2 3; do
    EXP_HEAP=1g a churn1-e40-census0-s$seed-FLOW-10000 --nodes 10000 --mode FLOW --rounds 240 --churn 0.01 --epoch-rounds 40 --report-after 25 --neighbor-timeout-ms 2400 --census-rounds 0 --seed $seed
  done
  EXP_HEAP=1g a churn1-e40-census10-FLOW-10000 --nodes 10000 --mode FLOW --rounds 240 --churn 0.01 --epoch-rounds 40 --report-after 25 --neighbor-timeout-ms 2400
  EXP_HEAP=1g a churn1-e20-census0-FLOW-10000 --nodes 10000 --mode FLOW --rounds 240 --churn 0.01 --epoch-rounds 20 --report-after 10 --neighbor-timeout-ms 2400 --census-rounds 0
  for m in PUSH_PULL FLOW PUSH_SUM; do EXP_HEAP=2g a clean-$m-100000 --nodes 100000 --mode $m --rounds 60 --stop-when-converged; done
  EXP_HEAP=2g a loss5-PUSH_PULL-100000 --nodes 100000 --mode PUSH_PULL --rounds 40 --loss 0.05
  EXP_HEAP=2g a loss5-FLOW-100000 --nodes 100000 --mode FLOW --rounds 60 --loss 0.05
  EXP_HEAP=2g a loss5-FLOW-noretry-100000 --nodes 100000 --mode FLOW --rounds 60 --loss 0.05 --retries 0
  EXP_HEAP=3g a churn1-e40-census0-FLOW-100000 --nodes 100000 --mode FLOW --rounds 200 --churn 0.01 --epoch-rounds 40 --report-after 25 --neighbor-timeout-ms 2400 --census-rounds 0
fi
if [[ "${AGG_LARGE:-0}" == 1 || "${AGG_ONLY:-}" == large ]]; then
  for m in PUSH_PULL FLOW; do EXP_HEAP=4g a clean-$m-1000000 --nodes 1000000 --mode $m --rounds 60 --stop-when-converged \
    --budget-seconds "${AGG_BUDGET_SECONDS:-2400}"; done
  EXP_HEAP=4g a loss5-FLOW-1000000 --nodes 1000000 --mode FLOW --rounds 60 --loss 0.05 --stop-when-converged
  EXP_HEAP=6g a churn1-e40-census0-FLOW-1000000 --nodes 1000000 --mode FLOW --rounds 100 --churn 0.01 --epoch-rounds 40 \
    --report-after 25 --neighbor-timeout-ms 2400 --census-rounds 0
fi
bench/sim-experiment.sh AggregateCharts out/agg docs/images
