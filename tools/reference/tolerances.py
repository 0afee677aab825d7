"""How closely a fixture must be reproduced, per kind of figure.

Matrix products go through the machine's BLAS, whose kernels (OpenBLAS picks Haswell, SkylakeX,
Cooperlake… by CPU, or by OPENBLAS_CORETYPE; Accelerate on a Mac) sum in different orders: the same
script gives float32 results a few units in the last place apart on two machines. So a fixture is
compared with a fresh run within a tolerance that depends on what it holds:

- exact: integers, inputs drawn from seeded generators, configs, anything computed without BLAS;
- values: one forward computation (logits, losses, attention outputs), to 1e-5 of the tensor's
  largest magnitude (kernel sets differ by at most about 6e-7 of it);
- gradients: to 1e-5 of the largest gradient in the file (the key biases' gradients are round-off
  around an exact zero, where a comparison relative to their own size is meaningless);
- trajectories: weights and losses after several optimizer steps, to 1e-4 absolute, the bound the
  TypeScript parity tests hold scratchgpt's own runs to. AdamW divides each gradient by its own root
  mean square, so an element whose gradient is near zero moves by about lr a step whichever way the
  round-off points: most elements of two kernel sets' runs end within 1e-6, a few such elements up to
  about 3e-5 apart. A parameter whose gradient is zero in real arithmetic (the fixture's config lists it
  under `zero_gradient`: the key biases, as a shift of every key changes no softmax) is moved by
  round-off alone, so it is held to steps × lr.
"""

import fnmatch
import json

import torch

TOLERANCES = {"exact": 0.0, "values": 1e-5, "gradients": 1e-5, "trajectories": 1e-4}
# What each tolerance is a share of: the tensor's largest magnitude, the file's, or nothing (absolute).
RELATIVE_TO = {"values": "tensor", "gradients": "file", "trajectories": "absolute"}

# Fixture files (relative to packages/) whose figures go through BLAS; every other file is exact.
FILE_KINDS = {
    "attention/fixtures/chapter3/chapter3.safetensors": "values",
    "gpt-model/fixtures/*/io.safetensors": "values",
    "gpt-model/fixtures/*/grads.safetensors": "gradients",
    "hub/fixtures/tiny-gpt2/io.safetensors": "values",
    "trainer/fixtures/cross-entropy/cross-entropy.safetensors": "values",
    "trainer/fixtures/adamw-gpt/grads_step0.safetensors": "gradients",
    "trainer/fixtures/adamw-gpt/final.safetensors": "trajectories",
    "trainer/fixtures/adamw-gpt/losses.json": "trajectories",
    "trainer/fixtures/clip/clip.safetensors": "gradients",
    "trainer/fixtures/tiny-training/tiny-training.safetensors": "trajectories",
    "classifier/fixtures/*/io.safetensors": "values",
    "classifier/fixtures/classifier-*/final.safetensors": "trajectories",
    "classifier/fixtures/lora-classifier/lora-final.safetensors": "trajectories",
    "classifier/fixtures/lora-classifier/merged.safetensors": "trajectories",
    "classifier/fixtures/*/losses.json": "trajectories",
    "instruct/fixtures/chapter7/training.safetensors": "trajectories",
    "instruct/fixtures/dpo/values.safetensors": "values",
    "instruct/fixtures/dpo/training.safetensors": "trajectories",
    "open-models/fixtures/*/io.safetensors": "values",
    "open-models/fixtures/*/final.safetensors": "trajectories",
    "open-models/fixtures/*/losses.json": "trajectories",
}


def kind_of(relative_path):
    """The kind of a fixture file, from its path below the repository root (packages/…)."""
    below_packages = str(relative_path).removeprefix("packages/")
    for pattern, kind in FILE_KINDS.items():
        if fnmatch.fnmatchcase(below_packages, pattern):
            return kind
    return "exact"


def noise_driven(config_path):
    """{parameter name: absolute tolerance} for the parameters whose gradient is zero in real
    arithmetic, from a trajectory fixture's config.json (none where it has no such list)."""
    if not config_path.is_file():
        return {}
    config = json.loads(config_path.read_text())
    names = config.get("zero_gradient", [])
    if not names:
        return {}
    return {name: config["steps"] * config["optimizer"]["lr"] for name in names}


def largest_difference(fresh, committed, kind, file_scale=0.0, absolute=None):
    """(difference, tolerance): the largest absolute difference between two tensors of one kind and
    the tolerance it is held to. `scale` overrides the committed tensor's largest magnitude (the
    file's largest gradient); `absolute` is a tolerance of its own (a noise-driven parameter)."""
    if fresh.dtype != committed.dtype or fresh.shape != committed.shape:
        return float("inf"), 0.0
    if not fresh.is_floating_point() or kind == "exact":
        return (0.0 if torch.equal(fresh, committed) else float("inf")), 0.0
    finite = torch.isfinite(committed)
    if not torch.equal(torch.isfinite(fresh), finite) or not torch.equal(fresh[~finite], committed[~finite]):
        return float("inf"), 0.0
    difference = (fresh.double() - committed.double()).abs()[finite]
    largest = float(difference.max()) if difference.numel() else 0.0
    if absolute is not None:
        return largest, absolute
    relative_to = RELATIVE_TO[kind]
    if relative_to == "absolute":
        return largest, TOLERANCES[kind]
    if relative_to == "file":
        return largest, TOLERANCES[kind] * file_scale
    tensor_scale = float(committed.double().abs()[finite].max()) if difference.numel() else 0.0
    return largest, TOLERANCES[kind] * tensor_scale
