# The two commands a newcomer runs: `make demo` and `make test`. Both install the system
# libraries ranklab links (OpenBLAS, zstd) when their headers are missing, then build.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release demo test test-slurm test-disk-full bench format

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

# The demo: the environments, Gymnasium agreement, then a short real experiment.
demo: release
	.build/release/ranklab envs
	.build/release/ranklab check-reference Tests/EnvironmentsTests/Fixtures/gymnasium/*.json | tail -n 1
	.build/release/ranklab run Configs/dqn-gridworld.yaml --force
	@echo
	@echo "Outputs: runs/dqn-gridworld/0/ (metrics.jsonl, spectra.jsonl, config.yaml, TensorBoard events, replays/)"
	@echo "Next:    .build/release/ranklab replay runs/dqn-gridworld/0/replays/final-00.rlep"
	@echo "         .build/release/ranklab report runs/dqn-gridworld"
	@echo "         .build/release/ranklab run Configs/dqn-cartpole.yaml"

# The Swift tests, then the sweep through a real one-machine Slurm (Tests/Slurm/: installs
# slurm-wlm and munge if missing, and fails when Slurm cannot start), then a run on a full disk
# (Tests/DiskFull/: a 1 MiB tmpfs).
test: deps
	$(SWIFT) test
	$(MAKE) test-slurm
	$(MAKE) test-disk-full

test-slurm:
	$(SWIFT) build
	$(SUDO) Tests/Slurm/sweep-through-slurm.sh .build/debug/ranklab

test-disk-full:
	$(SWIFT) build
	$(SUDO) Tests/DiskFull/disk-full.sh .build/debug/ranklab

bench: release
	.build/release/ranklab bench envs

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Environments Tests
