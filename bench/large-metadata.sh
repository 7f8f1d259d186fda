#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Large member metadata on loopback: N nodes in one JVM with real sockets (not part of the test suite).
# Usage: bench/large-metadata.sh [sizes=8192,65535] [nodes=50] [steadySeconds=60] [updates=3]
# Builds the modules it needs (no install; MVN_ARGS=-o to build offline) and runs
# io.grapevine.bench.LargeMetadataBenchmark (JAVA=path/to/java picks the JVM). Every wait is bounded: about four minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q ${MVN_ARGS:-} -pl grapevine-bench -am package dependency:build-classpath -DskipTests \
  -Dmaven.javadoc.skip=true -Dmaven.source.skip -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CP="grapevine-bench/target/classes:$(cat grapevine-bench/target/classpath.txt)"
exec "${JAVA:-java}" -Xms1g -Xmx3g -cp "$CP" io.grapevine.bench.LargeMetadataBenchmark "$@"
