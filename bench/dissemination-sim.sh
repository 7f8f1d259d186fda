#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the "Measured in the simulator" tables of docs/dissemination.md (CSV per run, Markdown
# summary per table under out/). Everything runs in synchronous rounds (RoundDriver); --driver events
# gives the unsynchronised rounds of the event engine instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then mvn -q -pl grapevine-sim -am package -DskipTests >&2; fi
export SIM_NO_BUILD=1
export EXP_JAVA_OPTS="${EXP_JAVA_OPTS:--XX:+UseParallelGC}"
mkdir -p out
x() { nice -n 5 bench/sim-experiment.sh "$@"; }
x DemersTable --nodes 1000 --seeds 20 --threads 1 --csv out/demers-1000-r.csv > out/demers-1000-r.md 2>&1
x DemersTable --nodes 1000 --seeds 20 --threads 1 --ae-rounds 5 --csv out/demers-1000-r-ae.csv > out/demers-1000-r-ae.md 2>&1
# Pull with contacts completed one after another (what an unsynchronised cluster does) against the
# default simultaneous contacts of a round: the explanation of pull's residue.
x DemersTable --nodes 1000 --seeds 20 --threads 1 --modes pull --k 1,2,3 --sequential true \
  --csv out/demers-1000-pull-sequential.csv > out/demers-1000-pull-sequential.md 2>&1
bench/demers-10000.sh
bench/demers-md.py out/demers-1000-r.csv out/demers-10000-r-s1000.csv+out/demers-10000-r-s1010.csv \
  out/demers-1000-r-ae.csv out/demers-10000-r-ae-s1000.csv+out/demers-10000-r-ae-s1010.csv > out/demers-tables.md
EXP_HEAP=3g x DisseminationSpeed --nodes 100000 --seeds 20 --k 8 --driver rounds --budget-seconds 540 > out/speed-100000-rounds.csv 2>&1
