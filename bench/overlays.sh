#!/usr/bin/env bash
# Runs the overlay experiments of docs/overlays.md (io.grapevine.sim.overlay.OverlayExperiments).
#   bench/overlays.sh hyparview 100000 1 docs/overlays            # crash reliability, 3 crash sizes
#   bench/overlays.sh plumtree 100000 1 docs/overlays             # RMR and latency beside flooding
#   bench/overlays.sh ring 65536 1 docs/overlays 10 60            # sorted ring + tree COUNT, 10 seeds
#   SIM_HEAP=10g bench/overlays.sh scale 1000000 1 docs/overlays  # build + broadcast, wall and heap
# Builds grapevine-sim (and grapevine-core) first unless SIM_NO_BUILD=1; jars are copied so a rebuild
# during a long run cannot change the classes under it. Bound the run with OVERLAY_TIMEOUT (seconds).
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
