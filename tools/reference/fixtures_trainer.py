"""Trainer parity fixtures: AdamW on the GPT and on plain tensors, cross-entropy, gradient clipping."""

import json

import torch
import torch.nn.functional as F

import safetensors_io
from fixture_models import build, config_of
from gpt import weights

GPT_FIXTURE = "tiny-qkvbias-untied"
GPT_ADAMW = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}
PLAIN_ADAMW = {"lr": 0.01, "betas": (0.9, 0.98), "eps": 1e-8, "weight_decay": 0.05}
STEPS = 10


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2) + "\n")


def batch_loss(model, inputs, targets):
    logits = model(inputs.long())  # [b, T, vocab]
    return F.cross_entropy(logits.flatten(0, 1), targets.long().flatten())


def grads_of(model):
    return {name: param.grad.clone() for name, param in model.named_parameters()}


def training_batches(vocab, seed):
    """Next-token windows drawn from one random token sequence, as a data loader would cut them:
    inputs and targets [STEPS, 2, 16], targets shifted by one."""
    gen = torch.Generator().manual_seed(seed)
    corpus = torch.randint(0, vocab, (200,), generator=gen)
    starts = torch.randint(0, corpus.numel() - 17, (STEPS, 2), generator=gen)
    windows = torch.stack([torch.stack([corpus[s : s + 17] for s in row.tolist()]) for row in starts])
    return windows[..., :-1].to(torch.int32), windows[..., 1:].to(torch.int32)


def write_adamw_gpt(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = config_of(GPT_FIXTURE)
    model = build(GPT_FIXTURE).train()
    safetensors_io.save(out_dir / "initial.safetensors", weights(model), {"format": "pt"})
    inputs, targets = training_batches(cfg["vocab_size"], seed=404)
    safetensors_io.save(out_dir / "batches.safetensors", {"inputs": inputs, "targets": targets})

    optimizer = torch.optim.AdamW(model.parameters(), **GPT_ADAMW)
    losses = []
    for step in range(STEPS):
        optimizer.zero_grad()
        loss = batch_loss(model, inputs[step], targets[step])
        loss.backward()
        if step == 0:
            safetensors_io.save(out_dir / "grads_step0.safetensors", grads_of(model))
        optimizer.step()
        losses.append(float(loss))

    write_json(out_dir / "losses.json", losses)
    safetensors_io.save(out_dir / "final.safetensors", weights(model), {"format": "pt"})
    write_json(
        out_dir / "config.json",
        {
            "model": {**cfg, "tied": False},
            "optimizer": {**GPT_ADAMW, "betas": list(GPT_ADAMW["betas"])},
            "steps": STEPS,
            "zero_gradient": [name for name, _ in model.named_parameters() if name.endswith("W_key.bias")],
        },
    )
    return {"first_loss": losses[0], "last_loss": losses[-1]}


def write_clip(out_dir):
    """Clips the gradients of the GPT fixture's first AdamW step (adamw-gpt/grads_step0.safetensors)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = config_of(GPT_FIXTURE)
    model = build(GPT_FIXTURE).train()
    inputs, targets = training_batches(cfg["vocab_size"], seed=404)
    batch_loss(model, inputs[0], targets[0]).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    if not float(norm) > 1.0:
        raise RuntimeError(f"gradient norm {float(norm)} does not exceed 1: clipping would be a no-op")
    safetensors_io.save(out_dir / "clip.safetensors", {"norm": norm.float(), **grads_of(model)})
    return {"norm": float(norm)}


def write_adamw_plain(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(505)
    weight = torch.randn(4, 3, generator=gen).requires_grad_()
    bias = torch.randn(3, generator=gen).requires_grad_()
    grads = {"weight": torch.randn(5, 4, 3, generator=gen), "bias": torch.randn(5, 3, generator=gen)}

    tensors = {"params0.weight": weight.detach().clone(), "params0.bias": bias.detach().clone()}
    tensors.update({f"grads.{name}": stacked for name, stacked in grads.items()})
    optimizer = torch.optim.AdamW([weight, bias], **PLAIN_ADAMW)
    for step in range(5):
        weight.grad = grads["weight"][step].clone()
        bias.grad = grads["bias"][step].clone()
        optimizer.step()
        tensors[f"params{step + 1}.weight"] = weight.detach().clone()
        tensors[f"params{step + 1}.bias"] = bias.detach().clone()
    metadata = {key: json.dumps(value) for key, value in PLAIN_ADAMW.items()}
    safetensors_io.save(out_dir / "adamw-plain.safetensors", tensors, metadata)
    return {"weight_change": float((tensors["params5.weight"] - tensors["params0.weight"]).abs().max())}


def write_cross_entropy(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(606)
    logits = (2 * torch.randn(6, 50, generator=gen)).requires_grad_()
    targets = torch.randint(0, 50, (6,), generator=gen)
    targets[1] = -100
    targets[4] = -100
    loss = F.cross_entropy(logits, targets, ignore_index=-100)
    loss.backward()
    safetensors_io.save(
        out_dir / "cross-entropy.safetensors",
        {
            "logits": logits.detach(),
            "targets": targets.to(torch.int32),
            "loss": loss.detach(),
            "grad": logits.grad,
        },
    )
    return {"loss": float(loss)}
