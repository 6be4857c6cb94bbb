# LABELS: unit
# test_weights_cli.sh: `skytune weights import|fetch` as a user runs them: exit statuses (0 ok,
# 1 failed work, 2 usage), messages that name the problem, nothing written on failure, path on
# stdout. Uses a TF.js model holding only MobileNetV2's first convolution and a
# refused 127.0.0.1 port for the no-network case. Never touches the internet.
set -u
fail=0
check() { # check DESCRIPTION COMMAND...: the command must succeed
  local what="$1"; shift
  if "$@"; then echo "ok $what"; else echo "FAIL $what"; fail=$((fail + 1)); fi
}
T="${SK_TEST_TMP:-/tmp}/weights_cli.$$"
rm -rf "$T"; mkdir -p "$T/m"
cd "$T"

cat > m/model.json <<'JSON'
{"format": "layers-model", "weightsManifest": [{"paths": ["w.bin"], "weights": [
 {"name": "Conv1/kernel", "shape": [3, 3, 3, 32], "dtype": "float32"},
 {"name": "bn_Conv1/gamma", "shape": [32], "dtype": "float32"}]}]}
JSON
head -c $(( (864 + 32) * 4 )) /dev/zero > m/w.bin

out=$("$SKYTUNE" weights import m --arch mobilenetv2 --size 32 --allow-missing --out a.skck 2>err.txt); rc=$?
check "import exit 0" test $rc -eq 0
check "import prints the path" test "$out" = "a.skck"
check "import wrote the checkpoint" test -s a.skck
check "summary names counts" grep -q "2 tensors (896 floats) into mobilenetv2 at 32x32, 0 via legacy names, 258 missing" err.txt

"$SKYTUNE" weights import m --arch mobilenetv2 --size 32 --out b.skck 2>err.txt; rc=$?
check "strict import fails with 1" test $rc -eq 1
check "missing tensors named" grep -q "258 tensor(s) of mobilenetv2_1.00_32 missing from the file: bn_Conv1/beta" err.txt
check "nothing written on failure" test ! -e b.skck

head -c 100 /dev/zero > m/w.bin
"$SKYTUNE" weights import m --arch mobilenetv2 --size 32 --allow-missing --out c.skck 2>err.txt; rc=$?
check "truncated shard fails with 1" test $rc -eq 1
check "truncated shard message" grep -q "shards hold 100 bytes, the weights need 3584 (truncated shard?)" err.txt
check "nothing written for a truncated shard" test ! -e c.skck

"$SKYTUNE" weights import m --arch resnet51 > /dev/null 2>err.txt; rc=$?
check "unknown arch is a usage error" test $rc -eq 2
check "unknown arch lists the ids" grep -q "expected one of: resnet50 densenet121" err.txt
"$SKYTUNE" weights import m > /dev/null 2>&1; rc=$?
check "missing --arch is a usage error" test $rc -eq 2
"$SKYTUNE" weights import m --arch vgg16 --bogus > /dev/null 2>&1; rc=$?
check "unknown flag is a usage error" test $rc -eq 2
"$SKYTUNE" weights import nope.h5 --arch vgg16 --size 32 > /dev/null 2>err.txt; rc=$?
check "missing file fails with 1" test $rc -eq 1
check "missing file named" grep -q "nope.h5: no such file" err.txt
"$SKYTUNE" weights import --help > /dev/null; rc=$?
check "import --help exits 0" test $rc -eq 0

n=$("$SKYTUNE" weights fetch --list | wc -l)
check "fetch --list has 7 architectures" test "$n" -eq 7
check "fetch --list shows the resnet50 md5 kind" sh -c "'$SKYTUNE' weights fetch --list | grep -q '^resnet50 *md5 *https://storage.googleapis.com/tensorflow/keras-applications/resnet/'"
"$SKYTUNE" weights fetch resnet99 > /dev/null 2>&1; rc=$?
check "fetch unknown arch is a usage error" test $rc -eq 2
"$SKYTUNE" weights fetch > /dev/null 2>&1; rc=$?
check "fetch without ARCH is a usage error" test $rc -eq 2
# A local port nobody listens on (bash's /dev/tcp fails to connect there).
port=
for p in 1 9 47 79 113; do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
check "found a closed local port" test -n "$port"
"$SKYTUNE" weights fetch resnet50 --quiet --cache "$T/cache" --url "http://127.0.0.1:$port/x.h5" > out.txt 2>err.txt; rc=$?
check "fetch without network fails with 1" test $rc -eq 1
check "no-network message" grep -q "No network?" err.txt
check "nothing cached" test ! -e "$T/cache/keras/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
check "no partial file" test ! -e "$T/cache/keras/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5.part"
check "no path printed" test ! -s out.txt

cd /; rm -rf "$T"
echo "$fail failed"
[ "$fail" -eq 0 ]
