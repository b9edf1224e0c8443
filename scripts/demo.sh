#!/usr/bin/env bash
# berth's main job, the seed scenarios berth can show today (see README "What works now").
# Runs against a private berthd (own state dirs, bridge and nftables table) and removes
# everything it made when it ends, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
export BERTH_ROOT=${BERTH_ROOT:-/tmp/berth-demo/root}
export BERTH_RUN=${BERTH_RUN:-/run/berth-demo}
export PATH="$PWD/$BIN:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
  step "cleanup: berthd --cleanup removes every bridge, veth and rule berth made"
  if [ -f "$BERTH_RUN/berthd.pid" ]; then
    pid=$(cat "$BERTH_RUN/berthd.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  "$BIN/berthd" --cleanup || true
  rm -rf "$BERTH_ROOT" "$BERTH_RUN" /tmp/berth-demo
}
trap cleanup EXIT

step "B1: the default networks exist from the start (berth starts berthd on demand)"
show berth network ls
show ip -d link show berth0 | head -3

step "U1: a user-defined network gets a bridge br-<12 hex of its id> and the next free /16"
show berth network create mynet
id=$(berth network inspect -f '{{.Id}}' mynet)
show berth network inspect mynet
show ip -br addr show "br-${id:0:12}"

step "P2: the NAT and filter rules live in berth's own nftables table"
show nft list table ip berth

step "Bad input gets one clear sentence and changes nothing"
show berth network create --subnet 172.18.5.0/24 clash || true
show berth network create --subnet 10.9.0.0/16 --gateway 10.8.0.1 offgw || true
show berth network rm bridge || true
show berth network rm nosuchnet || true

step "berth doctor: what could break container networking here, read from the live kernel"
show berth doctor || true

step "Removing the network removes its bridge and rules"
show berth network rm mynet
ip link show "br-${id:0:12}" 2>&1 | head -1 || true
