# berth — see README.md. Every target installs what it needs on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages berth's build, tests and demo use.
APT_PACKAGES := nftables libsqlite3-dev iproute2 busybox-static crun runc python3 procps curl iputils-ping graphviz
BIN := .build/debug

.PHONY: all deps build release test demo bench fmt lint

all: build

# apt-get update once, then install only what is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v docker >/dev/null 2>&1 || missing="$$missing docker.io"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

build: deps
	$(SWIFT) build

# Every tier: unit, privileged (real netlink/nftables/namespaces; needs root), end-to-end (berthd + berth).
test: deps
	@if [ "$$(id -u)" != 0 ]; then echo "make test must run as root: the privileged and end-to-end tiers use real namespaces" >&2; exit 1; fi
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# What berth ships as: optimised, the Swift runtime and Foundation linked in (no shared Swift
# libraries to load: the CLI starts in less time and berthd maps fewer pages). In .build/release.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

demo: build
	bash scripts/demo.sh

# berth against Docker and Podman in one run (scripts/bench/bench.py; not part of `make test`).
# Installs the peers from Debian without starting their services, builds berth in release mode,
# writes BENCHMARKS.md (release is built as `make release` builds it). Knobs: BENCH_QUICK=1, BENCH_SCENARIOS=start,dns, … (see the script's header);
# BENCH_BUILD=debug measures the debug build instead.
BENCH_PACKAGES := docker.io podman netavark aardvark-dns runc conmon containernetworking-plugins iptables \
	dnsperf iperf3 hyperfine busybox-static nftables iproute2 util-linux python3
BENCH_BUILD ?= release
bench: deps
	@if [ "$$(id -u)" != 0 ]; then echo "make bench must run as root: it starts dockerd and berthd" >&2; exit 1; fi
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing (services not started: the bench runs its own dockerd)"; \
	  policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=1; printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; rc=$$?; \
	  if [ -n "$$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; [ $$rc = 0 ] || exit $$rc; \
	fi
	$(SWIFT) build -c $(BENCH_BUILD) $(if $(filter release,$(BENCH_BUILD)),--static-swift-stdlib)
	BENCH_BIN="$$($(SWIFT) build -c $(BENCH_BUILD) --show-bin-path)" python3 scripts/bench/bench.py

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Package.swift
