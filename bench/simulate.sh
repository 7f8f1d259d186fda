#!/usr/bin/env bash
# Runs the deterministic simulator (io.grapevine.sim.SimulateCommand) from the built module.
#   bench/simulate.sh --scenario scenarios/membership-crash.yaml --out out/crash
#   SIM_HEAP=12g bench/simulate.sh --scenario scenarios/membership-10k.yaml --out out/10k
# Builds grapevine-sim (and grapevine-core) first unless SIM_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${SIM_NO_BUILD:-0}" != 1 ]]; then
  mvn -q -pl grapevine-sim -am package -DskipTests >&2
fi
CP="grapevine-sim/target/grapevine-sim-0.1.0-SNAPSHOT.jar:$(cat grapevine-sim/target/classpath.txt)"
exec java -Xmx"${SIM_HEAP:-2g}" -XX:+UseParallelGC -Djava.awt.headless=true ${SIM_JAVA_OPTS:-} \
  -cp "$CP" io.grapevine.sim.SimulateCommand "$@"
