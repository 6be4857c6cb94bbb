#!/usr/bin/env bash
# run.sh: one conformance test (CTest label `conformance`): skytune against TF.js layers.
# Usage: run.sh ARCH [rate0]   a model at 64 px (Xception 71) from seeded random weights
#        run.sh imagenet       ResNet50 with the npm ImageNet weights at 224 px
#        run.sh rules          the harness's rules Z and F on small models (rules_test.js)
# Needs node and the pinned @tensorflow/tfjs in tests/conformance/node_modules
# (`ci/install-deps.sh conformance`); skips with status 77 and says so otherwise.
# Env (from CTest): SKYTUNE, CONF_DRIVER, SHARED, SK_TEST_TMP.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
what="$1"; variant="${2:-}"

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed; run ci/install-deps.sh conformance (Debian nodejs + npm, then npm ci)"
  exit 77
fi
if [ ! -f "$here/node_modules/@tensorflow/tfjs/package.json" ]; then
  echo "SKIP: @tensorflow/tfjs is not installed in $here/node_modules; run ci/install-deps.sh conformance"
  exit 77
fi

[ "$what" = rules ] && exec node "$here/rules_test.js"

name="$what${variant:+_$variant}"
work="${SK_TEST_TMP:-/tmp}/conformance/$name"
rm -rf "$work"
mkdir -p "$work"
shared_opt=()
[ -d "${SHARED:-}/data" ] && shared_opt=(--shared "$SHARED")

if [ "$what" = imagenet ]; then
  npm_dir="${SKYTUNE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skytune}/tfjs/resnet50"
  if [ ! -f "$npm_dir/model.json" ]; then
    echo "SKIP: no ResNet50 ImageNet weights in $npm_dir (ci/fetch-resnet50-weights.sh)"
    exit 77
  fi
  if [ ! -f "${SHARED:-}/data/imagenet-check/bird.rgb" ]; then
    echo "SKIP: ${SHARED:-../shared}/data/imagenet-check is absent"
    exit 77
  fi
  "$CONF_DRIVER" --imagenet "$npm_dir" --shared "$SHARED" --out "$work/sky"
  status=0
  node "$here/harness.js" imagenet "$npm_dir" "$work/sky" "$work/result.json" || status=$?
  [ "$status" -eq 0 ] && [ -z "${SK_TEST_KEEP:-}" ] && rm -rf "$work/sky"
  exit "$status"
fi

size=64
[ "$what" = xception ] && size=71
"$SKYTUNE" arch export "$what" --size "$size" --classes 3 --weights scratch --seed 7 --out "$work/model"
rate_opt=()
[ "$variant" = rate0 ] && rate_opt=(--rate0)
"$CONF_DRIVER" --arch "$what" --model "$work/model" --out "$work/sky" "${shared_opt[@]}" "${rate_opt[@]}"
# Only result.json is kept once the check passes (tests/conformance/table.js reads it); the
# exported model and skytune's tensors (up to 350 MB a model) stay for a look only on failure.
status=0
node "$here/harness.js" model "$work/model" "$work/sky" "$work/result.json" || status=$?
[ "$status" -eq 0 ] && [ -z "${SK_TEST_KEEP:-}" ] && rm -rf "$work/model" "$work/sky"
exit "$status"
