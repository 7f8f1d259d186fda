#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# JMH benchmark of the simulator engine's hot loop (event queue hold model + full dispatch).
#   bench/jmh-engine.sh            # all benchmarks
#   bench/jmh-engine.sh queueHold  # a regex of benchmark names, plus any JMH options
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -pl grapevine-sim -am -Pjmh package -DskipTests >&2
CP="grapevine-sim/target/classes:$(cat grapevine-sim/target/classpath.txt)"
exec java -Xmx1g -cp "$CP" org.openjdk.jmh.Main "${@:-EngineBenchmark}"
