#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the deterministic simulator (io.grapevine.sim.SimulateCommand) from the built module.
#   bench/simulate.sh --scenario scenarios/membership-crash.yaml --out out/crash
#   SIM_HEAP=12g bench/simulate.sh --scenario scenarios/lifeguard-slow.yaml --out out/lg
# Builds grapevine-sim (and grapevine-core) first unless SIM_NO_BUILD=1. The jars are copied to a
# temporary directory so a rebuild during a long run cannot change the classes under it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then
  mvn -q -pl grapevine-sim -am package -DskipTests >&2
fi
RUN_DIR="$(mktemp -d)"
trap 'rm -rf "$RUN_DIR"' EXIT
cp grapevine-sim/target/grapevine-sim-0.1.0-SNAPSHOT.jar grapevine-core/target/grapevine-core-0.1.0-SNAPSHOT.jar "$RUN_DIR"/
DEPS="$(tr ':' '\n' < grapevine-sim/target/classpath.txt | grep -v grapevine-core | paste -sd:)"
CP="$RUN_DIR/grapevine-sim-0.1.0-SNAPSHOT.jar:$RUN_DIR/grapevine-core-0.1.0-SNAPSHOT.jar:$DEPS"
java -Xmx"${SIM_HEAP:-2g}" -Djava.awt.headless=true ${SIM_JAVA_OPTS:-} \
  -cp "$CP" io.grapevine.sim.SimulateCommand "$@"
