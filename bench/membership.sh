#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Membership benchmark on loopback (not part of the test suite).
# Usage: bench/membership.sh [sizes=10,50,100] [runs=3] [steadySeconds=60] [transport=udp-and-tcp|tcp-only|both]
# Builds the modules it needs (no install) and runs io.grapevine.bench.MembershipBenchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-bench -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CP="grapevine-bench/target/classes:$(cat grapevine-bench/target/classpath.txt)"
exec java -Xms1g -Xmx2g -cp "$CP" io.grapevine.bench.MembershipBenchmark "$@"
