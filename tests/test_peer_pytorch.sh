# LABELS: unit
# TIMEOUT: 300
# The PyTorch peer of `skytune bench speed` (benchmarks/peers/pytorch_speed.py --selftest): a
# tiny cell end to end, and the JSON it writes validated by the script itself. Skipped (77) when
# Debian's python3-torch / python3-torchvision are not installed (ci/install-deps.sh peer).
set -u
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || { echo "python3-torch not installed: skipped"; exit 77; }
exec /usr/bin/python3 "$SRC/benchmarks/peers/pytorch_speed.py" --selftest
