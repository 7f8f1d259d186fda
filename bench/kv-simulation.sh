#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The replicated store under writes, loss and churn, in the simulator (not part of the test suite):
# time until every replica agrees after the writes stop. Same as
#   bench/sim-experiment.sh KvConvergenceRun --nodes 10000 --writes 1000 --loss 0.05 --churn 0.01
# (io.grapevine.sim.experiments.KvConvergenceRun; options in its Javadoc). Heap from EXP_HEAP
# (default here 3g); JVM options from EXP_JAVA_OPTS (default here the serial collector: one thread,
# and the least CPU per run on a shared machine, measured against G1 and parallel).
# Usage: bench/kv-simulation.sh [--nodes N] [--writes W] [--loss P] [--churn F] [--seeds S] [--csv FILE] ...
set -euo pipefail
cd "$(dirname "$0")/.."
EXP_HEAP="${EXP_HEAP:-3g}" EXP_JAVA_OPTS="${EXP_JAVA_OPTS:--XX:+UseSerialGC}" exec bench/sim-experiment.sh KvConvergenceRun "$@"
