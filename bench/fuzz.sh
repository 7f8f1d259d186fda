#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every fuzz target longer than the test suite does (docs/fuzzing.md), one after the other,
# each in a JVM of its own, from a random seed (libFuzzer -seed=0), and prints the executions each
# ran. Not part of the test suite.
# Usage: bench/fuzz.sh [seconds per target=60]
# A finding fails the run; its input is written next to the target's corpus as crash-<hash>.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
case "$SECONDS_PER_TARGET" in
  ''|*[!0-9]*) echo "bench/fuzz.sh: seconds must be a whole number, got '$SECONDS_PER_TARGET'" >&2; exit 2 ;;
esac
mkdir -p target
LOG=target/fuzz.log
status=0
mvn -B -pl grapevine-core,grapevine-sim,grapevine-agent -am test \
  -Dfuzz.only=true -Dfuzz.seconds="$SECONDS_PER_TARGET" -Dfuzz.runs=-1 -Dfuzz.seed=0 >"$LOG" 2>&1 || status=$?
# libFuzzer prints "Done N runs in S second(s)" before surefire names the class that ran.
awk '/^Done [0-9]+ runs in/ {done=$2" executions in "$5" s"}
     /Tests run:.*in io\.grapevine\..*FuzzTest/ {
       cls=$NF; sub(/.*\./, "", cls);
       res=($0 ~ /FAILURE/) ? "FINDING" : "ok";
       printf "%-22s %-28s %s\n", cls, (done == "" ? "no fuzzing run" : done), res; done="" }' "$LOG"
if [ "$status" -ne 0 ]; then
  echo "fuzzing failed (exit $status): see $LOG and the crash-* files under src/test/resources" >&2
fi
exit "$status"
