"""Checks of the chapter 3 attention fixture: every output recomputed in float64 from the stored weights
by attention written here (not the modules that made it), and the book's printed figures."""

import math

import torch

import safetensors_io
from verify_checks import ATTENTION, expect, max_diff


def attention(queries, keys, values, causal):
    scores = queries @ keys.transpose(-2, -1) / math.sqrt(keys.shape[-1])  # [..., T, T]
    if causal:
        tokens = scores.shape[-1]
        scores = scores.masked_fill(torch.ones(tokens, tokens).triu(1).bool(), -math.inf)
    return scores.softmax(-1) @ values


def linear_heads(w, prefix, x, causal):
    """Attention with nn.Linear projections ([out, in] weights, no biases) under `prefix`."""
    q, k, v = (x @ w[f"{prefix}W_{role}.weight"].t() for role in ("query", "key", "value"))
    return attention(q, k, v, causal)


def multi_head(w, x, heads):
    """One projection per role split into `heads`, recombined by out_proj."""
    b, t, _ = x.shape
    split = lambda y: y.reshape(b, t, heads, -1).transpose(1, 2)  # noqa: E731  [b, heads, T, head_dim]
    q, k, v = (split(x @ w[f"mha.W_{role}.weight"].t()) for role in ("query", "key", "value"))
    context = attention(q, k, v, causal=True).transpose(1, 2).reshape(b, t, -1)
    return context @ w["mha.out_proj.weight"].t() + w["mha.out_proj.bias"]


def verify_attention():
    stored = safetensors_io.load(ATTENTION / "chapter3/chapter3.safetensors")
    w = {name: tensor.double() for name, tensor in stored.items()}
    x = w["inputs"]
    batch = torch.stack((x, x))
    expected = {
        "v1": attention(x @ w["v1.W_query"], x @ w["v1.W_key"], x @ w["v1.W_value"], causal=False),
        "v2": linear_heads(w, "v2.", x, causal=False),
        "causal": linear_heads(w, "causal.", batch, causal=True),
        "wrapper": torch.cat([linear_heads(w, f"wrapper.heads.{i}.", batch, True) for i in range(2)], -1),
        "mha": multi_head(w, batch, heads=2),
    }
    for name, output in expected.items():
        diff = max_diff(output, w[f"{name}.output"])
        expect(diff < 1e-6, f"chapter3: {name} output recomputed from its weights ({diff:.1e})")
    # The first context vector the book prints for each module (seed 123, or 789 for v2).
    printed = {
        "v1": [0.2996, 0.8053],
        "v2": [-0.0739, 0.0713],
        "causal": [-0.4519, 0.2216],
        "mha": [0.3190, 0.4858],
    }
    for name, values in printed.items():
        first = w[f"{name}.output"].reshape(-1, w[f"{name}.output"].shape[-1])[0]
        ok = max_diff(first, torch.tensor(values)) <= 5e-5
        expect(ok, f"chapter3: {name} starts with the book's {values}")
    same_seed = all(
        torch.equal(stored[f"wrapper.heads.0.W_{role}.weight"], stored[f"causal.W_{role}.weight"])
        for role in ("query", "key", "value")
    )
    expect(same_seed, "chapter3: the wrapper's first head has CausalAttention's weights (same seed)")
