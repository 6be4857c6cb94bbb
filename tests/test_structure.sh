# LABELS: unit
# The structural rules of issue 19 that the compiler does not check (ci/check-structure.sh): no
# product function over 150 lines, no architecture name compared outside arch/, no include past a
# library's public header. A planted violation of each must be caught too, so the check can fail.
set -u
"$SRC/ci/check-structure.sh" "$SRC" || exit 1
T="${SK_TEST_TMP:-/tmp}/test_structure.$$"
rm -rf "$T"; mkdir -p "$T"
cp -r "$SRC/ci" "$T/"
for d in base core arch dataset records benchmarks report cli; do mkdir -p "$T/$d"; done
cp "$SRC/arch/models.def" "$T/arch/"
{ echo '#include "../core/exec_internal.h"'; echo 'static int long_one(const char *a)'; echo '{'
  for i in $(seq 1 150); do echo "    a += $i;"; done
  echo '    return strcmp(a, "efficientnetb2");'; echo '}'; } > "$T/benchmarks/planted.c"
for d in base core arch dataset records report cli; do echo 'int x;' > "$T/$d/empty.c"; done
out=$("$T/ci/check-structure.sh" "$T" 2>&1); rc=$?
fail=0
[ "$rc" -eq 1 ] || { echo "FAIL: planted violations: exit $rc"; fail=1; }
for want in "benchmarks/planted.c:2: 154 lines" 'benchmarks/planted.c:154:.*"efficientnetb2"' \
            'benchmarks/planted.c:1:#include "../core/exec_internal.h"'; do
  echo "$out" | grep -q "$want" || { echo "FAIL: not reported: $want"; fail=1; }
done
[ "$fail" -eq 0 ] || echo "$out"
rm -rf "$T"
exit "$fail"
