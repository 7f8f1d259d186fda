#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# User-event latency on loopback (not part of the test suite).
# Usage: bench/events.sh [sizes=10,50] [events=10] [lossPercents=0,10]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-bench -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CP="grapevine-bench/target/classes:$(cat grapevine-bench/target/classpath.txt)"
exec java -Xms512m -Xmx2g -cp "$CP" io.grapevine.bench.EventsBenchmark "$@"
