#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network coordinates in the simulator: median and p90 relative RTT error over time on a network
# with geometry (hosts on a plane plus access links), for the numbers of docs/coordinates.md.
#   bench/coordinates-sim.sh [nodes=1000] [seconds=600] [dims=8]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}; s=${2:-600}; d=${3:-8}
EXP_JAVA_OPTS="-XX:+UseSerialGC ${EXP_JAVA_OPTS:-}" nice -n 5 bench/sim-experiment.sh CoordinatesRun \
  --nodes "$n" --seconds "$s" --dims "$d" --sample-s 30
