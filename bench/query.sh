#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Query latency and bytes on loopback, N real nodes in one JVM (io.grapevine.bench.QueryBenchmark).
# Usage: bench/query.sh [nodes=50] [queries=20] [loops=shared|per-node] [warmup=3]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  mvn -q -pl grapevine-bench -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
fi
CP="grapevine-bench/target/classes:$(cat grapevine-bench/target/classpath.txt)"
exec java -Xms256m -Xmx1g -cp "$CP" io.grapevine.bench.QueryBenchmark "$@"
