#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bytes of one push-pull at each deflate level, in the simulator (io.grapevine.sim.experiments.PushPullBytes),
# for docs/benchmarks.md and docs/wire-format.md.
#   bench/push-pull-bytes.sh [nodes=50] [levels=0,1,6,9] [meta-bytes=0] [from-s=120] [until-s=600]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}; levels=${2:-0,1,6,9}; meta=${3:-0}; from=${4:-120}; until=${5:-600}
EXP_JAVA_OPTS="-XX:+UseSerialGC ${EXP_JAVA_OPTS:-}" bench/sim-experiment.sh PushPullBytes \
  --nodes "$n" --levels "$levels" --meta-bytes "$meta" --from-s "$from" --until-s "$until"
