#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one of the simulator experiments of docs/dissemination.md and docs/aggregates.md from the
# built module:  bench/sim-experiment.sh DemersTable --nodes 1000 --seeds 20 --csv out/demers-1000.csv
# Heap from EXP_HEAP (default 2g). Builds first unless SIM_NO_BUILD=1; runs from a copy of the jars
# so a rebuild during a long run cannot change the classes under it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then
  mvn -q -pl grapevine-sim -am package -DskipTests >&2
fi
cls=$1; shift
RUN_DIR="$(mktemp -d)"
trap 'rm -rf "$RUN_DIR"' EXIT
cp grapevine-sim/target/grapevine-sim-0.1.0-SNAPSHOT.jar grapevine-core/target/grapevine-core-0.1.0-SNAPSHOT.jar "$RUN_DIR"/
DEPS="$(tr ':' '\n' < grapevine-sim/target/classpath.txt | grep -v grapevine-core | paste -sd:)"
CP="$RUN_DIR/grapevine-sim-0.1.0-SNAPSHOT.jar:$RUN_DIR/grapevine-core-0.1.0-SNAPSHOT.jar:$DEPS"
exec_time=$(date +%s)
/usr/bin/time -f "wall %e s, cpu %U s user + %S s sys, peak RSS %M KiB" java -Xmx"${EXP_HEAP:-2g}" -Djava.awt.headless=true ${EXP_JAVA_OPTS:-} \
  -cp "$CP" "io.grapevine.sim.experiments.$cls" "$@"
