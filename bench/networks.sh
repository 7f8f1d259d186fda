#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Multi-host experiments in network namespaces (not part of the test suite): 10 hosts, a 50/50
# partition and heal with writes on both sides, one host that cannot receive / cannot send, an
# IPv6-only cluster, and a flaky host (80% inbound loss for 2 minutes) for Grapevine and, in the
# same namespaces with the same fault, for the memberlist anchor. About 15 minutes. Needs root.
# Usage: bench/networks.sh [OUT=/tmp/grapevine-networks] [extra bench/networks.py flags...]
# Results: OUT/results.jsonl (one object per experiment), OUT/summary.md, OUT/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/grapevine-networks}
shift || true
command -v nft >/dev/null || { apt-get update -qq && apt-get install -y -qq nftables; }
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
mvn -B -q -DskipTests -pl grapevine-agent -am package
mlnode=/tmp/grapevine-anchors/mlnode
anchor=../shared/anchors/memberlist/build.sh
if [ ! -x "$mlnode" ] && [ -x "$anchor" ]; then
  "$anchor" "$mlnode"
fi
systems=grapevine
[ -x "$mlnode" ] && systems=grapevine,memberlist
mkdir -p "$out"
python3 bench/networks.py --jar grapevine-agent/target/grapevine.jar --mlnode "$mlnode" \
  --systems "$systems" --out "$out" "$@"
python3 bench/networks.py --summarize "$out/results.jsonl" | tee "$out/summary.md"
