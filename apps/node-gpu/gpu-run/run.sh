#!/usr/bin/env bash
# scratchgpt's GPT-2 small training throughput on WebGPU (Dawn on Vulkan) next to PyTorch's (fp32, eager)
# on the same NVIDIA GPU. Runs from the unpacked archive that pack.mjs writes; needs only the NVIDIA
# driver (with its Vulkan driver), Python 3 and PyTorch with CUDA. Prints one JSON line per measure,
# then the comparison.
#
#   tar -xJf scratchgpt-gpu-run.tar.xz && scratchgpt-gpu-run/run.sh
#   scratchgpt-gpu-run/run.sh --config gpt2-small --context 256 --batch-size 4 --steps 5
#
# Environment: PYTHON (default python3), TORCH_DEVICE (default cuda), SCRATCHGPT_DAWN_FLAGS (default
# backend=vulkan), VK_ICD_FILENAMES (found or written when unset).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config=gpt2-small
context=256
batch=4
steps=5
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --context) context="$2"; shift 2 ;;
    --batch-size) batch="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1 (use --config, --context, --batch-size, --steps)" >&2; exit 2 ;;
  esac
done
python="${PYTHON:-python3}"
device="${TORCH_DEVICE:-cuda}"

# Dawn opens libvulkan.so.1: the bundled loader, unless the machine has one.
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$here/lib"
# Containers often get the NVIDIA driver without its Vulkan manifest: find it, or write one for the
# driver's Vulkan library (libGLX_nvidia.so.0 holds NVIDIA's Vulkan ICD).
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  for manifest in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$manifest" ]; then export VK_ICD_FILENAMES="$manifest"; break; fi
  done
  if [ -z "${VK_ICD_FILENAMES:-}" ] && ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia.so.0'; then
    export VK_ICD_FILENAMES="$here/nvidia_icd.json"
    cat >"$VK_ICD_FILENAMES" <<'JSON'
{ "file_format_version": "1.0.1", "ICD": { "library_path": "libGLX_nvidia.so.0", "api_version": "1.3.0" } }
JSON
  fi
fi
export SCRATCHGPT_DAWN_FLAGS="${SCRATCHGPT_DAWN_FLAGS:-backend=vulkan}"

node="$here/bin/node"
cli="$here/cli.mjs"
echo "vulkan manifest: ${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-none set, the loader searches its default paths}}" >&2
# The adapter's name proves the run is on the hardware, not a software rasteriser.
"$node" "$cli" info --backend webgpu --json
scratchgpt="$("$node" "$cli" bench --config "$config" --context "$context" --batch-size "$batch" \
  --steps "$steps" --backend webgpu --only train --json)"
echo "$scratchgpt"

torch_config="$config"
[ "$config" = gpt-tiny ] && torch_config=tiny
pytorch="$(cd "$here/reference" && "$python" pytorch-fp32.py "$torch_config" "$context" "$batch" "$steps" "$device")"
echo "$pytorch"
gpu="$("$python" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")')"

"$node" - "$scratchgpt" "$pytorch" "$gpu" <<'JS'
const [ours, theirs, gpu] = process.argv.slice(2);
const scratchgpt = JSON.parse(ours);
const pytorch = JSON.parse(theirs);
console.log(JSON.stringify({
  gpu,
  scratchgpt: { backend: scratchgpt.backend, trainTokensPerSec: scratchgpt.trainTokensPerSec },
  pytorch: { device: pytorch.device, torch: pytorch.torch, trainTokensPerSec: pytorch.trainTokensPerSec },
  ratio: Number((scratchgpt.trainTokensPerSec / pytorch.trainTokensPerSec).toFixed(3)),
}));
JS
