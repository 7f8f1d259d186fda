#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Anti-entropy reconciliation cost (not part of the test suite): bytes and round trips to repair
# d = 1, 10, 100, 1000 differences among n keys, against a full digest exchange.
# Usage: bench/kv-reconcile.sh [n=1000000] [depths=4,5]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-store -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CP="grapevine-store/target/classes:$(cat grapevine-store/target/classpath.txt)"
exec java -Xms2g -Xmx6g -cp "$CP" io.grapevine.store.bench.ReconciliationBenchmark "$@"
