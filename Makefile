# berth — see README.md. Every target installs what it needs on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages berth's build, tests and demo use.
APT_PACKAGES := nftables libsqlite3-dev iproute2 busybox-static crun runc python3 procps curl iputils-ping graphviz
BIN := .build/debug

.PHONY: all deps build test demo fmt lint

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

demo: build
	bash scripts/demo.sh

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Package.swift
