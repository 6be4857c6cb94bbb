# LABELS: unit
# The skytune command: --version facts, --help everywhere, exit status 2 for usage errors.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
status_is() { local want=$1; shift; "$@" >/dev/null 2>&1; local got=$?; [ "$got" -eq "$want" ] || { echo "  exit $got, expected $want: $*"; return 1; }; }

v=$("$SKYTUNE" --version)
ok grep -q '^skytune [0-9]' <<<"$v"
ok grep -q 'compiler: *GCC\|compiler: *Clang' <<<"$v"
ok grep -q 'flags:.*-Wall' <<<"$v"
ok grep -qi 'blas: *\(openblas (OpenBLAS\|det (skytune det\|dnnl (oneDNN\)' <<<"$v"
ok grep -q 'blas: *openblas' <<<"$(SKYTUNE_GEMM=openblas "$SKYTUNE" --version)"
ok grep -q 'blas: *det' <<<"$(SKYTUNE_GEMM=det "$SKYTUNE" --version)"
ok status_is 2 env SKYTUNE_GEMM=nosuch "$SKYTUNE" arch list
ok grep -q "SKYTUNE_GEMM='nosuch'" <<<"$(SKYTUNE_GEMM=nosuch "$SKYTUNE" arch list 2>&1)"
ok grep -q 'core ' <<<"$v"
ok grep -q 'openmp: *[0-9]' <<<"$v"
ok grep -q 'git ' <<<"$v"
ok test "$(OMP_NUM_THREADS=1 "$SKYTUNE" --version | sed -n 's/openmp: *\([0-9]*\).*/\1/p')" = 1

ok status_is 0 "$SKYTUNE" --help
ok status_is 2 "$SKYTUNE"
ok status_is 2 "$SKYTUNE" frobnicate
ok status_is 2 "$SKYTUNE" --frobnicate
for c in dataset arch weights bench; do
  ok status_is 0 "$SKYTUNE" "$c" --help
  ok status_is 2 "$SKYTUNE" "$c" no-such-subcommand
done
for c in train report reproduce; do
  ok status_is 0 "$SKYTUNE" "$c" --help
  ok status_is 2 "$SKYTUNE" "$c" --no-such-flag
done
for s in query fetch cutout synth import pack info verify export; do
  ok status_is 0 "$SKYTUNE" dataset "$s" --help
  ok status_is 2 "$SKYTUNE" dataset "$s" --no-such-flag
done
err=$("$SKYTUNE" frobnicate 2>&1 >/dev/null)
ok grep -q "unknown subcommand 'frobnicate'" <<<"$err"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
