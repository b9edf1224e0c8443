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

step "B2/M4: a container on the default bridge; inspect shows its PID, namespace and address"
show berth run -d --name hello busybox httpd -f -p 80 -h /etc
show berth inspect -f 'Pid={{.State.Pid}} SandboxKey={{.NetworkSettings.SandboxKey}} IP={{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}} Gateway={{.NetworkSettings.Gateway}} MAC={{.NetworkSettings.MacAddress}}' hello

step "B3: the two ends of one veth pair: veth<hex>@ifN on the bridge, eth0@ifM inside"
show ip -o link show master berth0
show berth exec hello ip -o link show eth0

step "V1: the container's network namespace is visible to ip netns by its name"
show ip netns list
show ip netns exec hello ip -br addr

step "Seed walkthrough: a web server and a client on a user-defined network, by name"
show berth run -d --name web --network mynet -p 8080:80 busybox httpd -f -p 80 -h /etc
show berth run --rm --network mynet busybox wget -qO- http://web/hostname
show berth run --rm --network mynet busybox cat /etc/resolv.conf

step "P1: the published port answers on the host (127.0.0.1 and the host's own address)"
show timeout 5 wget -qO- http://127.0.0.1:8080/hostname
hostip=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
[ -n "$hostip" ] && show timeout 5 wget -qO- "http://$hostip:8080/hostname"
show berth port web

step "P2: the NAT and filter rules live in berth's own nftables table"
show nft list table ip berth

step "P3: a host port can be published once; the second try fails and leaves nothing behind"
show berth run -d --name web2 -p 8080:80 busybox httpd -f || true
show berth rm web2

step "M1/M2/M3: network modes none, host and container:<name>"
show berth run --rm --network none busybox ip -o link
show berth run --rm --network container:web busybox wget -qO- http://localhost/hostname
show berth ps

step "See-through: the picture, a packet's path, namespaces and a debug shell, from the live kernel"
show berth topology --network mynet
show berth trace web 80
show berth ns web
show berth inspect -f '{{range .Live.Interfaces}}{{.Name}}@if{{.PeerIndex}} <-> {{.HostVeth}} on {{.Bridge}}{{end}}; resolver sockets: {{join .Live.DNSSockets ", "}}' web
show berth debug web -- cat /etc/resolv.conf

step "Terminals and stdin: -i feeds yours to the container, -t gives it a terminal"
show sh -c 'echo "hello from stdin" | berth run --rm -i busybox cat'
show berth run --rm -t busybox tty

step "Removing containers removes their veths, namespaces, rules and addresses"
show berth rm -f hello web
show ip netns list
show ip -o link show master berth0

step "Bad input gets one clear sentence and changes nothing"
show berth network create --subnet 172.18.5.0/24 clash || true
show berth network create --subnet 10.9.0.0/16 --gateway 10.8.0.1 offgw || true
show berth network rm bridge || true
show berth network rm nosuchnet || true

step "Compose (seed 002's shape): a host-network server, a bridged web server with 8000:80 and 50M, a sleeper"
mkdir -p /tmp/berth-demo/seed
cat > /tmp/berth-demo/seed/compose.yaml <<'YAML'
services:
  hostserver:
    image: busybox
    network_mode: host
    command: httpd -f -p 127.0.0.1:8765 -h /etc
  remote-control:
    image: busybox
    command: httpd -f -p 80 -h /etc
    ports: ["8000:80"]
    mem_limit: 50M
  sleeper:
    image: busybox
    command: sleep 600
    ports: ["8001:80"]
YAML
show berth compose -f /tmp/berth-demo/seed/compose.yaml -p seed up -d
show berth compose -p seed ps
show timeout 5 wget -qO- http://127.0.0.1:8000/hostname
show berth compose -f /tmp/berth-demo/seed/compose.yaml -p seed exec sleeper wget -qO- http://remote-control/hostname
show berth network inspect -f '{{range .Containers}}{{.Name}} {{end}}' seed_default
show berth compose -f /tmp/berth-demo/seed/compose.yaml -p seed down

step "berth doctor: what could break container networking here, read from the live kernel"
show berth doctor || true

step "Removing the network removes its bridge and rules"
show berth network rm mynet
ip link show "br-${id:0:12}" 2>&1 | head -1 || true
