#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replicated store: time for one write to reach all N nodes on loopback (not part of the test suite).
# Usage: bench/kv-convergence.sh [n=50] [writes=20]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-bench -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CP="grapevine-bench/target/classes:$(cat grapevine-bench/target/classpath.txt)"
exec java -Xms1g -Xmx2g -cp "$CP" io.grapevine.bench.KvConvergenceBenchmark "$@"
