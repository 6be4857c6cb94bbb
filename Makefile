# Thin wrapper around CMake/CTest. Every target that builds installs missing Debian packages
# first (ci/install-deps.sh), so each works as the only command on a fresh Debian machine.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SKYTUNE = $(BUILD)/cli/skytune
RESULTS ?= results

.PHONY: all deps build test test-full reproduce bench report clean

all: build

deps:
	@ci/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# Everything except the `slow` label.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE slow

# Everything, slow suites included.
test-full: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The end-to-end reproduction on the built-in synthetic data.
reproduce: build
	$(SKYTUNE) reproduce --suite quick --out $(RESULTS)/quick

bench: build
	$(SKYTUNE) bench run --suite smoke --out $(RESULTS)/smoke

report: build
	$(SKYTUNE) report --results $(RESULTS)/quick --out $(RESULTS)/quick/report

clean:
	rm -rf $(BUILD)
