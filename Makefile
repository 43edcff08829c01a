# The two commands a newcomer runs: `make demo` and `make test`. Both install the system
# libraries ranklab links (OpenBLAS, zstd) when their headers are missing, then build.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release demo test bench format

deps:
	@if [ ! -f /usr/include/x86_64-linux-gnu/cblas.h ] && [ ! -f /usr/include/cblas.h ] || \
	   [ ! -f /usr/include/zstd.h ]; then \
	  echo "Installing libopenblas-dev and libzstd-dev ..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev libzstd-dev; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: release
	@bash bench/demo.sh

test: deps
	$(SWIFT) test

bench: release
	.build/release/ranklab bench envs

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Environments Tests
