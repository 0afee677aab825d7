"""Attention fixtures: the chapter 3 modules built with the book's seeds, their weights and outputs."""

import torch

import safetensors_io
from attention import CausalAttention, MultiHeadAttentionWrapper, SelfAttentionV1, SelfAttentionV2
from gpt import MultiHeadAttention

# "Your journey starts with one step", one 3-d vector per word (the book's chapter 3 inputs).
INPUTS = torch.tensor(
    [
        [0.43, 0.15, 0.89],
        [0.55, 0.87, 0.66],
        [0.57, 0.85, 0.64],
        [0.22, 0.58, 0.33],
        [0.77, 0.25, 0.10],
        [0.05, 0.80, 0.55],
    ]
)

# name -> (the book's seed, constructor); d_in 3, d_out 2, context 6, dropout 0.
CASES = {
    "v1": (123, lambda: SelfAttentionV1(3, 2)),
    "v2": (789, lambda: SelfAttentionV2(3, 2)),
    "causal": (123, lambda: CausalAttention(3, 2, 6, 0.0)),
    "wrapper": (123, lambda: MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2)),
    "mha": (123, lambda: MultiHeadAttention(3, 2, 6, 0.0, num_heads=2)),
}


def write_chapter3(out_dir):
    """chapter3.safetensors: `inputs` [6, 3]; per case its state dict without mask buffers under
    `{case}.` and `{case}.output` (v1, v2: of `inputs`; the others: of the batch of two copies)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    batch = torch.stack((INPUTS, INPUTS))  # [2, 6, 3]
    tensors = {"inputs": INPUTS}
    firsts = {}
    for name, (seed, build) in CASES.items():
        torch.manual_seed(seed)
        module = build().eval()
        weights = {key: value for key, value in module.state_dict().items() if not key.endswith("mask")}
        tensors.update({f"{name}.{key}": value for key, value in weights.items()})
        with torch.no_grad():
            output = module(INPUTS if name in ("v1", "v2") else batch)
        tensors[f"{name}.output"] = output
        firsts[f"{name}_first"] = float(output.flatten()[0])
    safetensors_io.save(out_dir / "chapter3.safetensors", tensors)
    return firsts
