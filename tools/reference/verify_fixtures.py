"""Checks the committed fixtures against independent computations, so that a mistake shared by the
model and the converters (say, query and key swapped both ways) cannot hide:

- a functional GPT-2 forward written directly on the Hugging Face tensors (Conv1D x @ W + b);
- conversions book -> HF -> book and HF -> book -> HF give back the same tensors;
- the tied fixture really shares one matrix; half-precision files hold rounded weights;
- gradients against a float64 recomputation;
- the trainer's fixtures against formulas written in verify_trainer.py (AdamW, cross-entropy, clipping,
  the schedule, a float64 replay of the tiny recipe and of the GPT's ten AdamW steps);
- the chapter 3 attention outputs against attention written on the stored weights (verify_attention.py).

    /usr/bin/python3 tools/reference/verify_fixtures.py
"""

import json
import math
import sys

import torch
import torch.nn.functional as F

import safetensors_io
from fixture_models import SPECS
from layouts import book_to_hf, hf_to_book
from verify_attention import verify_attention
from verify_checks import MODELS, book_model, expect, failures, max_diff, same_tensors, within_values
from verify_trainer import verify_trainer


def hf_forward(hf, cfg, input_ids):
    """GPT-2 on Hugging Face tensors, written without the book's modules."""
    heads, emb = cfg["n_heads"], cfg["emb_dim"]
    b, t = input_ids.shape
    x = hf["wte.weight"][input_ids.long()] + hf["wpe.weight"][:t]
    causal = torch.ones(t, t).triu(1).bool()
    for i in range(cfg["n_layers"]):
        p = lambda name: hf[f"h.{i}.{name}"].float()  # noqa: E731
        h = F.layer_norm(x, (emb,), p("ln_1.weight"), p("ln_1.bias"), eps=1e-5)
        q, k, v = (h @ p("attn.c_attn.weight") + p("attn.c_attn.bias")).split(emb, dim=-1)
        q, k, v = (z.reshape(b, t, heads, emb // heads).permute(0, 2, 1, 3) for z in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(emb // heads)
        attn = scores.masked_fill(causal, float("-inf")).softmax(-1) @ v  # [b, heads, t, head_dim]
        attn = attn.permute(0, 2, 1, 3).reshape(b, t, emb)
        x = x + attn @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        h = F.layer_norm(x, (emb,), p("ln_2.weight"), p("ln_2.bias"), eps=1e-5)
        h = F.gelu(h @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias"), approximate="tanh")
        x = x + h @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    x = F.layer_norm(x, (emb,), hf["ln_f.weight"].float(), hf["ln_f.bias"].float(), eps=1e-5)
    head = hf.get("lm_head.weight", hf["wte.weight"]).float()
    return x @ head.t()


def verify_model(name):
    directory = MODELS / name
    config = json.loads((directory / "config.json").read_text())
    hf_cfg = json.loads((directory / "config.hf.json").read_text())
    tied = config.pop("tied")
    book = safetensors_io.load(directory / "book.safetensors")
    hf = safetensors_io.load(directory / "hf.safetensors")
    io = safetensors_io.load(directory / "io.safetensors")
    ids = io["input_ids"].long()

    expect(tied == SPECS[name][2] and hf_cfg["tie_word_embeddings"] == tied, f"{name}: tied flags")
    expect(("qkv_bias" in hf_cfg) == (not config["qkv_bias"]), f"{name}: HF qkv_bias key only when false")
    expect(all(t.dtype == torch.float32 for t in {**book, **hf}.values()), f"{name}: F32 weights")
    with torch.no_grad():
        from_book = book_model(config, tied, book)(ids)
        back, hf_tied = hf_to_book(hf, qkv_bias=config["qkv_bias"])
        from_hf = book_model(config, hf_tied, back)(ids)
        functional = hf_forward(hf, config, ids)
    expect(within_values(from_book, io["logits"]), f"{name}: book.safetensors reproduces the logits")
    expect(within_values(from_hf, io["logits"]), f"{name}: hf.safetensors via hf_to_book, the same logits")
    diff = max_diff(functional, io["logits"])
    expect(diff < 1e-5, f"{name}: functional HF forward within 1e-5 ({diff:.1e})")
    expect(same_tensors(back, book) and hf_tied == tied, f"{name}: HF -> book gives book.safetensors")
    expect(same_tensors(book_to_hf(back, tied), hf), f"{name}: book -> HF gives hf.safetensors")
    loss = F.cross_entropy(io["logits"].flatten(0, 1), io["targets"].long().flatten())
    expect(torch.equal(loss, io["loss"]), f"{name}: loss is the mean cross-entropy of the logits")
    if tied:
        expect(torch.equal(book["out_head.weight"], book["tok_emb.weight"]), f"{name}: out_head = tok_emb")
        expect("lm_head.weight" not in hf, f"{name}: no lm_head in the tied HF file")
        model = book_model(config, tied, book)
        expect(model.out_head.weight.data_ptr() == model.tok_emb.weight.data_ptr(), f"{name}: one matrix")
    else:
        expect(not torch.equal(book["out_head.weight"], book["tok_emb.weight"]), f"{name}: untied head")
    verify_gradients(name, config, tied, book, io)
    if "logits_f16" in io:
        verify_half(name, config, tied, io)


def verify_gradients(name, config, tied, book, io):
    """The float32 gradients against a float64 recomputation."""
    grads = safetensors_io.load(MODELS / name / "grads.safetensors")
    model = book_model(config, tied, book, torch.float64).train()
    logits = model(io["input_ids"].long())
    F.cross_entropy(logits.flatten(0, 1), io["targets"].long().flatten()).backward()
    expected = {n: p.grad for n, p in model.named_parameters()}
    scale = max(float(g.abs().max()) for g in expected.values())
    worst = max(max_diff(grads[n], g) for n, g in expected.items()) / scale
    expect(grads.keys() == expected.keys(), f"{name}: a gradient for every parameter")
    expect(worst < 1e-4, f"{name}: gradients match float64 ({worst:.1e} of the largest)")


def verify_half(name, config, tied, io):
    directory = MODELS / name
    hf16 = safetensors_io.load(directory / "hf.f16.safetensors")
    bf16 = safetensors_io.load(directory / "book.bf16.safetensors")
    expect(all(t.dtype == torch.float16 for t in hf16.values()), f"{name}: hf.f16 holds F16")
    expect(all(t.dtype == torch.bfloat16 for t in bf16.values()), f"{name}: book.bf16 holds BF16")
    with torch.no_grad():
        f16 = hf_forward({n: t.float() for n, t in hf16.items()}, config, io["input_ids"])
        b16 = book_model(config, tied, bf16)(io["input_ids"].long())
    expect(max_diff(f16, io["logits_f16"]) < 1e-5, f"{name}: logits_f16 from the F16 weights")
    expect(within_values(b16, io["logits_bf16"]), f"{name}: logits_bf16 from the BF16 weights")
    expect(max_diff(io["logits_bf16"], io["logits"]) > 1e-4, f"{name}: BF16 rounding is visible")


def main():
    torch.set_num_threads(1)
    for name in SPECS:
        verify_model(name)
    verify_trainer()
    verify_attention()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
