#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the overlay experiments of docs/overlays.md (io.grapevine.sim.overlay.OverlayExperiments).
#   bench/overlays.sh hyparview 100000 1 docs/overlays            # crash reliability, 3 crash sizes
#   bench/overlays.sh plumtree 100000 1 docs/overlays             # RMR and latency beside flooding
#   bench/overlays.sh plumtree-opt 10000 1 docs/overlays          # the same with and without the tree optimisation, 30 broadcasts
#   bench/overlays.sh rejoin 100000 1 docs/overlays/rejoin 0.5,0.8,0.95 [off]  # mass crashes, 8 seed nodes, stranded re-join on/off
#   bench/overlays.sh ring 65536 1 docs/overlays 10 60            # sorted ring + tree COUNT, 10 seeds
#   bench/overlays.sh plumtree-crash 100000 1 docs/overlays       # Plumtree, flooding, 50% crash (rows as they finish)
#   bench/overlays.sh crash 100000 1 docs/overlays 0.8,0.95       # a fresh overlay per crash fraction
#   bench/overlays.sh ring 1048576 1 docs/overlays 10 45 ring-only  # stop each seed at ring convergence
#   bench/overlays.sh charts 100000 1 docs/overlays               # charts from the CSV rows
#   SIM_HEAP=16g OVERLAY_TIMEOUT=9000 bench/overlays.sh scale 1000000 1 docs/overlays  # ~1.5 h; 7.7 GB live
# Builds grapevine-sim (and grapevine-core) first unless SIM_NO_BUILD=1; jars are copied so a rebuild
# during a long run cannot change the classes under it. Bound the run with OVERLAY_TIMEOUT (seconds).
# Serial GC: the views keep freshly decoded endpoints alive, which made G1's young collections cost
# about a third of the run's CPU on this 2-core machine.
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
timeout "${OVERLAY_TIMEOUT:-7200}" java -Xmx"${SIM_HEAP:-3g}" -XX:+UseSerialGC -Djava.awt.headless=true ${SIM_JAVA_OPTS:-} \
  -cp "$CP" io.grapevine.sim.overlay.OverlayExperiments "$@"
