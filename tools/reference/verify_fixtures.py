"""Checks the committed fixtures against independent computations, so that a mistake shared by the
model and the converters (say, query and key swapped both ways) cannot hide:

- a functional GPT-2 forward written directly on the Hugging Face tensors (Conv1D x @ W + b);
- conversions book -> HF -> book and HF -> book -> HF give back the same tensors;
- the tied fixture really shares one matrix; half-precision files hold rounded weights;
- gradients against a float64 recomputation; AdamW, cross-entropy and clipping against their formulas.

    /usr/bin/python3 tools/reference/verify_fixtures.py
"""

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

import safetensors_io
from fixture_models import SPECS
from gpt import GPTModel, load_weights
from layouts import book_to_hf, hf_to_book

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "packages/gpt-model/fixtures"
TRAINER = REPO / "packages/trainer/fixtures"
failures = []


def expect(ok, message):
    print(("ok   " if ok else "FAIL ") + message)
    if not ok:
        failures.append(message)


def max_diff(a, b):
    return float((a.double() - b.double()).abs().max())


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


def book_model(cfg, tied, state, dtype=torch.float32):
    model = GPTModel(cfg).to(dtype)
    if tied:
        model.tie_weights()
    load_weights(model, {name: tensor.to(dtype) for name, tensor in state.items()})
    return model.eval()


def same_tensors(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)


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
    expect(torch.equal(from_book, io["logits"]), f"{name}: book.safetensors reproduces logits exactly")
    expect(torch.equal(from_hf, io["logits"]), f"{name}: hf.safetensors via hf_to_book, exactly")
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
    expect(torch.equal(b16, io["logits_bf16"]), f"{name}: logits_bf16 from the BF16 weights")
    expect(max_diff(io["logits_bf16"], io["logits"]) > 1e-4, f"{name}: BF16 rounding is visible")


def adamw_step(params, grads, moments, step, lr, betas, eps, weight_decay):
    """PyTorch's AdamW for step `step` (from 1): decoupled decay first, then the bias-corrected Adam
    update with eps added to sqrt(v) / sqrt(1 - beta2^step). `moments` ([m], [v]) is updated."""
    m, v = moments
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        p = p * (1 - lr * weight_decay)
        m[i] = betas[0] * m[i] + (1 - betas[0]) * g
        v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
        denom = v[i].sqrt() / math.sqrt(1 - betas[1] ** step) + eps
        out.append(p - (lr / (1 - betas[0] ** step)) * m[i] / denom)
    return out


def zero_moments(params):
    return [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]


def verify_trainer():
    plain, meta = safetensors_io.load(TRAINER / "adamw-plain/adamw-plain.safetensors", with_metadata=True)
    hyper = {key: json.loads(value) for key, value in meta.items()}
    grads = [(plain["grads.weight"][k], plain["grads.bias"][k]) for k in range(5)]
    params = [plain["params0.weight"], plain["params0.bias"]]
    moments = zero_moments(params)
    for step in range(1, 6):
        params = adamw_step(params, grads[step - 1], moments, step, **hyper)
        w, b = params
        diff = max(max_diff(w, plain[f"params{step}.weight"]), max_diff(b, plain[f"params{step}.bias"]))
        expect(diff < 1e-6, f"adamw-plain: step {step} matches the formula ({diff:.1e})")

    ce = safetensors_io.load(TRAINER / "cross-entropy/cross-entropy.safetensors")
    kept = ce["targets"] != -100
    log_probs = ce["logits"].double().log_softmax(-1)
    rows = torch.arange(6)[kept]
    loss = -log_probs[rows, ce["targets"][kept].long()].mean()
    grad = log_probs.exp()
    grad[rows, ce["targets"][kept].long()] -= 1
    grad = grad * kept.unsqueeze(1) / kept.sum()
    expect(int(kept.sum()) == 4, "cross-entropy: two targets ignored")
    expect(abs(float(loss) - float(ce["loss"])) < 1e-6, "cross-entropy: loss over the kept rows")
    expect(max_diff(grad, ce["grad"]) < 1e-7, "cross-entropy: gradient, zero on ignored rows")

    step0 = safetensors_io.load(TRAINER / "adamw-gpt/grads_step0.safetensors")
    clip = safetensors_io.load(TRAINER / "clip/clip.safetensors")
    norm = torch.stack([g.double().norm() for g in step0.values()]).norm()
    coef = min(1.0, 1.0 / (float(norm) + 1e-6))
    expect(abs(float(norm) - float(clip["norm"])) < 1e-5, f"clip: norm {float(norm):.6f} before clipping")
    worst = max(max_diff(g * coef, clip[n]) for n, g in step0.items())
    expect(coef < 1 and worst < 1e-7, f"clip: gradients scaled by {coef:.6f} ({worst:.1e})")

    verify_adamw_gpt()


def verify_adamw_gpt():
    directory = TRAINER / "adamw-gpt"
    settings = json.loads((directory / "config.json").read_text())
    cfg = {k: v for k, v in settings["model"].items() if k != "tied"}
    initial = safetensors_io.load(directory / "initial.safetensors")
    batches = safetensors_io.load(directory / "batches.safetensors")
    losses = json.loads((directory / "losses.json").read_text())
    expect(same_tensors(initial, safetensors_io.load(MODELS / "tiny-qkvbias-untied/book.safetensors")),
           "adamw-gpt: starts from tiny-qkvbias-untied")
    model = book_model(cfg, False, initial).train()
    names = [n for n, _ in model.named_parameters()]
    params = [p.detach().clone() for _, p in model.named_parameters()]
    hyper = {**settings["optimizer"], "betas": tuple(settings["optimizer"]["betas"])}

    moments = zero_moments(params)
    for k in range(10):
        with torch.no_grad():
            for live, value in zip(model.parameters(), params):
                live.copy_(value)
        model.zero_grad()
        logits = model(batches["inputs"][k].long())
        loss = F.cross_entropy(logits.flatten(0, 1), batches["targets"][k].long().flatten())
        loss.backward()
        expect(abs(float(loss) - losses[k]) < 1e-5, f"adamw-gpt: loss {k} = {losses[k]:.6f}")
        grads = [p.grad.clone() for p in model.parameters()]
        params = adamw_step(params, grads, moments, k + 1, **hyper)
    final = safetensors_io.load(directory / "final.safetensors")
    noise = set(settings["zero_gradient"])
    diffs = {n: max_diff(p, final[n]) for n, p in zip(names, params)}
    for n in sorted(diffs, key=diffs.get, reverse=True)[:4]:
        print(f"     {n}: {diffs[n]:.1e}")
    diff = max(d for n, d in diffs.items() if n not in noise)
    expect(diff < 1e-5, f"adamw-gpt: final weights match the formula ({diff:.1e}), key biases aside")
    drift = max(diffs[n] for n in noise)
    expect(drift < 10 * hyper["lr"], f"adamw-gpt: key biases within 10·lr ({drift:.1e})")


def main():
    torch.set_num_threads(1)
    for name in SPECS:
        verify_model(name)
    verify_trainer()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
