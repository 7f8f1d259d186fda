#!/usr/bin/env bash
# Reproduces the "Measured in the simulator" tables of docs/dissemination.md (CSV per run, Markdown
# summary per table under out/). The N = 10^4 and 10^5 runs stop at their --budget-seconds; on the
# shared 2-core machine that cut them to the seeds/variants stated in the doc.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then mvn -q -pl grapevine-sim -am package -DskipTests >&2; fi
export SIM_NO_BUILD=1
mkdir -p out
x() { bench/sim-experiment.sh "$@"; }
x DemersTable --nodes 1000 --seeds 20 --threads 1 --csv out/demers-1000.csv > out/demers-1000.md 2>&1
x DemersTable --nodes 1000 --seeds 20 --threads 1 --ae-rounds 5 --csv out/demers-1000-ae.csv > out/demers-1000-ae.md 2>&1
EXP_HEAP=3g x DisseminationSpeed --nodes 100000 --seeds 20 --k 8 --budget-seconds 780 > out/speed-100000.csv 2>&1
x DemersTable --nodes 10000 --seeds 3 --threads 1 --budget-seconds 1150 --csv out/demers-10000.csv > out/demers-10000.md 2>&1
x DemersTable --nodes 10000 --seeds 3 --threads 1 --modes push,push_pull --k 1,3 --ae-rounds 5 --budget-seconds 900 \
  --csv out/demers-10000-ae.csv > out/demers-10000-ae.md 2>&1
bench/demers-md.py out/demers-1000.csv out/demers-10000.csv out/demers-1000-ae.csv out/demers-10000-ae.csv
x DemersTable --nodes 10000 --seeds 2 --threads 1 --modes pull,push_pull --k 1,3 --budget-seconds 950 --csv out/demers-10000-pull.csv > out/demers-10000-pull.md 2>&1
