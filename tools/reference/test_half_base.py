"""Checks half_base.py, the bfloat16 base open_models_bench.py's LoRA training runs on: a tiny decoder
under LoRA with its base in bfloat16 must give the same loss and adapter gradients as the same decoder
with its base in float32 holding the rounded weights (both multiply in float32 on the same values), and
nothing of the base may train.

    /usr/bin/python3 tools/reference/test_half_base.py
"""

import copy
import sys

import torch
import torch.nn.functional as F

from half_base import HalfEmbedding, HalfLinear, logits, store_base_bf16
from lora import replace_linear_with_lora
from open_models_bench import SHAPES
from open_models import Decoder
from verify_checks import expect, failures, max_diff

TINY = {
    **SHAPES["qwen3-0.6b"],
    "vocab_size": 50,
    "context_length": 16,
    "emb_dim": 16,
    "n_heads": 4,
    "n_kv_groups": 2,
    "head_dim": 8,
    "hidden_dim": 24,
    "layer_types": ["full"] * 2,
}


def lora_model(base, rounded):
    """A copy of `base` under LoRA (rank 4, alpha 8, B away from zero as after training), its base
    either kept in float32 with the bfloat16-rounded values (`rounded`) or stored in bfloat16."""
    model = copy.deepcopy(base)
    for param in model.parameters():
        param.requires_grad_(False)
        if rounded:
            param.copy_(param.to(torch.bfloat16).float())
    torch.manual_seed(1)
    replace_linear_with_lora(model, 4, 8)
    for name, param in model.named_parameters():
        if name.endswith("lora.B"):
            param.data = 0.3 * torch.randn(param.shape, generator=torch.Generator().manual_seed(len(name)))
    if not rounded:
        store_base_bf16(model)
    return model


def loss_and_grads(model, ids):
    scores = logits(model, ids[:, :-1])
    loss = F.cross_entropy(scores.flatten(0, 1), ids[:, 1:].flatten())
    loss.backward()
    return loss, {name: p.grad for name, p in model.named_parameters() if p.requires_grad}


def main():
    torch.manual_seed(0)
    base = Decoder(TINY)
    ids = torch.randint(0, TINY["vocab_size"], (2, 9), generator=torch.Generator().manual_seed(2))
    half, rounded = lora_model(base, rounded=False), lora_model(base, rounded=True)

    halves = [m for m in half.modules() if isinstance(m, (HalfLinear, HalfEmbedding))]
    expect(len(halves) == 2 * 7 + 1, "bf16 base: seven linear layers a block and the token table in 16 bits")
    expect(all(m.weight.dtype == torch.bfloat16 for m in halves), "bf16 base: weights held as bfloat16")
    trainable = [name for name, p in half.named_parameters() if p.requires_grad]
    expect(all(name.endswith(("lora.A", "lora.B")) for name in trainable), "only the adapters train")
    expect(
        sum(p.numel() for p in half.parameters() if p.requires_grad)
        == sum(p.numel() for p in rounded.parameters() if p.requires_grad)
        == 2 * 4 * (16 + 32 + 16 + 16 + 16 + 16 + 32 + 16 + 16 + 24 + 16 + 24 + 24 + 16),
        "both bases train the same adapter parameters",
    )

    (loss_h, grads_h), (loss_r, grads_r) = loss_and_grads(half, ids), loss_and_grads(rounded, ids)
    expect(torch.equal(loss_h, loss_r), f"loss equals the rounded float32 base's ({float(loss_h):.6f})")
    expect(grads_h.keys() == grads_r.keys(), "the same adapter gradients are computed")
    worst = max(max_diff(grads_h[name], grads_r[name]) for name in grads_h)
    expect(worst == 0, f"adapter gradients equal the rounded float32 base's (largest difference {worst:.2e})")
    expect(all(grads_h[name].abs().sum() > 0 for name in grads_h), "every adapter gets a gradient")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
