#!/usr/bin/env bash
# Installs Debian's Slurm (slurm-wlm: slurmctld, slurmd, client commands) and MUNGE, only when
# missing, for the `slurm` test label (tests/test_slurm.sh starts a private single-node Slurm
# from these binaries; nothing under /etc is configured or used). Idempotent. As root it
# installs; as another user it prints the command to run and exits non-zero. Debian 12 names.
set -euo pipefail

PKGS=(slurm-wlm slurmctld slurmd slurm-client munge)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-slurm: all ${#PKGS[@]} packages present"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-slurm: missing Debian packages: ${missing[*]}" >&2
  echo "install-slurm: run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "install-slurm: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
