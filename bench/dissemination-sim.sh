#!/usr/bin/env bash
# Reproduces the "Measured in the simulator" tables of docs/dissemination.md. Writes out/demers-*.md/csv
# and out/speed-100000.csv. About 40 minutes on a busy 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-sim -am package -DskipTests >&2
export SIM_NO_BUILD=1
mkdir -p out
x() { bench/sim-experiment.sh "$@"; }
x DemersTable --nodes 1000 --seeds 20 --threads 1 --csv out/demers-1000.csv > out/demers-1000.md 2>&1
x DemersTable --nodes 1000 --seeds 20 --threads 1 --ae-rounds 5 --csv out/demers-1000-ae.csv > out/demers-1000-ae.md 2>&1
EXP_HEAP=3g x DisseminationSpeed --nodes 100000 --seeds 20 --k 8 --budget-seconds 600 > out/speed-100000.csv 2>&1
x DemersTable --nodes 10000 --seeds 5 --threads 1 --budget-seconds 900 --csv out/demers-10000.csv > out/demers-10000.md 2>&1
x DemersTable --nodes 10000 --seeds 3 --threads 1 --k 1,3,5 --ae-rounds 5 --budget-seconds 420 --csv out/demers-10000-ae.csv > out/demers-10000-ae.md 2>&1
