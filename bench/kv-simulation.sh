#!/usr/bin/env bash
# Replicated store at scale in a deterministic simulation of the real protocol code (not part of
# the test suite): writes under loss and churn, time until every replica agrees.
# Usage: bench/kv-simulation.sh [nodes=10000] [writes=1000] [loss=0.05] [churnPerSecond=0.01] [seed=1]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-store -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CP="grapevine-store/target/classes:$(cat grapevine-store/target/classpath.txt)"
exec java -Xms1g -Xmx6g -cp "$CP" io.grapevine.store.bench.KvSimulation "$@"
