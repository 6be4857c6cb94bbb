#!/usr/bin/env bash
# Installs exactly the Debian packages skytune needs to build, test and report, and only those
# that are missing. Idempotent. As root it installs; as another user it prints the command to
# run and exits non-zero. Package names are Debian 12 (bookworm).
# Usage: ci/install-deps.sh [slurm] [peer] [fuzz]   (peer: PyTorch for the speed benchmark's peer; slurm: also Slurm and MUNGE, for the `slurm` test label,
#        which starts a private single-node Slurm from these binaries; nothing in /etc is used;
#        fuzz: clang and its libFuzzer runtime, for `make fuzz` (without them the harnesses
#        build as plain corpus replay drivers))
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
  # tests: CITATION.cff is checked with a YAML parser
  python3 python3-yaml
)
for group in "$@"; do
  case "$group" in
    slurm) PKGS+=(slurm-wlm slurmctld slurmd slurm-client munge) ;;
    # the PyTorch peer of `skytune bench speed --peer` (benchmarks/peers/pytorch_speed.py)
    peer) PKGS+=(python3-torch python3-torchvision) ;;
    # libFuzzer (clang -fsanitize=fuzzer) for `make fuzz` (tests/fuzz/)
    fuzz) PKGS+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps: unknown package group '$group' (known: slurm, peer, fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
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
