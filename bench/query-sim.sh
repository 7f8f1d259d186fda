#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Queries in the simulator: time for a query's acks and answers from every node to reach the
# originator, and the bytes it costs (io.grapevine.sim.experiments.QueryRun), for docs/queries.md.
#   bench/query-sim.sh [nodes=10000] [mode=push|membership] [queries=20] [seed=1]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; mode=${2:-push}; q=${3:-20}; seed=${4:-1}
EXP_JAVA_OPTS="-XX:+UseSerialGC ${EXP_JAVA_OPTS:-}" nice -n 5 bench/sim-experiment.sh QueryRun \
  --nodes "$n" --mode "$mode" --queries "$q" --seed "$seed"
