# Muster: `make run` and `make test` set up a fresh Debian machine, build, and go.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libncurses-dev libedit-dev tmux pkg-config procps
TSAN_SCRATCH := .build-tsan
# Every suite but the end-to-end ones (they drive the built binary from outside) runs again under the thread sanitizer.
TSAN_FILTER ?= MusterCoreTests|MusterHeadlessTests|MusterTUITests|MusterOpenAITests

.PHONY: all deps build release run test test-unit test-tsan bench clean

all: build

# Installs the system packages Muster needs when any is missing (root, or sudo).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	@$(SWIFT) build --show-bin-path >/dev/null
	"$$($(SWIFT) build --show-bin-path)/muster" $(ARGS)

test: deps test-unit test-tsan

# A hung test fails the run within the time limit instead of stalling CI.
test-unit: build
	timeout 2400 $(SWIFT) test --parallel --num-workers 2

test-tsan: deps
	TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/tsan-suppressions.txt halt_on_error=0" \
	  timeout 2400 $(SWIFT) test --sanitize=thread --scratch-path $(TSAN_SCRATCH) --filter '$(TSAN_FILTER)'

# Figures, not pass/fail: a missed target is printed as MISSED. BENCH_ARGS=--quick for a short run.
bench: deps
	$(SWIFT) build -c release --product muster
	$(SWIFT) build -c release --product muster-bench
	"$$($(SWIFT) build -c release --show-bin-path)/muster-bench" $(BENCH_ARGS)

clean:
	rm -rf .build $(TSAN_SCRATCH)
