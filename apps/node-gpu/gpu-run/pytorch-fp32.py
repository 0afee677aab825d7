"""The PyTorch reference benchmark (bench.py beside this file) in plain fp32: no TF32 tensor-core
shortcuts for products. Arguments: config context batch steps device."""

import runpy
import sys

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
config, context, batch, steps, device = sys.argv[1:]
if device == "cuda" and not torch.cuda.is_available():
    sys.exit("PyTorch sees no CUDA device: set TORCH_DEVICE=cpu to compare with the CPU instead")
sys.argv = ["bench.py", "--config", config, "--context", context, "--batch-size", batch]
sys.argv += ["--steps", steps, "--device", device]
runpy.run_path("bench.py", run_name="__main__")
