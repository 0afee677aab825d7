"""Trainer parity fixtures: AdamW on the GPT and on plain tensors, cross-entropy, gradient clipping
(the schedule and the whole recipe are in fixtures_recipe.py)."""

import json

import torch
import torch.nn.functional as F

import safetensors_io
from fixture_models import build, config_of
from gpt import weights

GPT_FIXTURE = "tiny-qkvbias-untied"
GPT_ADAMW = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}
PLAIN_ADAMW = {"betas": (0.9, 0.98), "eps": 1e-8, "weight_decay": 0.05}
PLAIN_LRS = [0.01, 0.02, 0.03, 0.02, 0.01, 0.005]  # set before each step, as a schedule does
PLAIN_BIAS_SKIPPED = 4
STEPS = 10


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2) + "\n")


def json_metadata(settings):
    """safetensors `__metadata__` values must be strings: each setting as JSON."""
    return {key: json.dumps(value) for key, value in settings.items()}


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
    unclipped = grads_of(model)
    # Above the norm, PyTorch multiplies by a scale clamped to 1: the step-0 gradients are the
    # expected output as they are.
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=100.0)
    if any(not torch.equal(grad, unclipped[name]) for name, grad in grads_of(model).items()):
        raise RuntimeError("clip_grad_norm_ changed gradients whose norm is below its limit")
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    if not float(norm) > 1.0:
        raise RuntimeError(f"gradient norm {float(norm)} does not exceed 1: clipping would be a no-op")
    metadata = json_metadata({"max_norm": 1.0})
    safetensors_io.save(out_dir / "clip.safetensors", {"norm": norm.float(), **grads_of(model)}, metadata)
    return {"norm": float(norm)}


def write_adamw_plain(out_dir):
    """AdamW alone on a weight and a bias, six steps at changing learning rates; the bias has no
    gradient at step PLAIN_BIAS_SKIPPED (`None`, so PyTorch leaves it and its state untouched)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(505)
    weight = torch.randn(4, 3, generator=gen).requires_grad_()
    bias = torch.randn(3, generator=gen).requires_grad_()
    params = {"weight": weight, "bias": bias}
    steps = len(PLAIN_LRS)
    grads = {"weight": torch.randn(steps, 4, 3, generator=gen), "bias": torch.randn(steps, 3, generator=gen)}

    tensors = {f"params0.{name}": param.detach().clone() for name, param in params.items()}
    optimizer = torch.optim.AdamW(params.values(), lr=PLAIN_LRS[0], **PLAIN_ADAMW)
    for step, lr in enumerate(PLAIN_LRS, start=1):
        optimizer.param_groups[0]["lr"] = lr
        for name, param in params.items():
            skipped = name == "bias" and step == PLAIN_BIAS_SKIPPED
            param.grad = None if skipped else grads[name][step - 1].clone()
            if not skipped:
                tensors[f"grads{step}.{name}"] = param.grad
        optimizer.step()
        tensors.update({f"params{step}.{name}": param.detach().clone() for name, param in params.items()})
    state_steps = {}
    for name, param in params.items():
        state = optimizer.state[param]
        tensors[f"exp_avg.{name}"] = state["exp_avg"]
        tensors[f"exp_avg_sq.{name}"] = state["exp_avg_sq"]
        state_steps[name] = int(state["step"])
    settings = {**PLAIN_ADAMW, "lrs": PLAIN_LRS, "steps": steps, "state_steps": state_steps}
    safetensors_io.save(out_dir / "adamw-plain.safetensors", tensors, json_metadata(settings))
    change = (tensors[f"params{steps}.weight"] - tensors["params0.weight"]).abs().max()
    return {"weight_change": float(change)}


def write_cross_entropy(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(606)
    logits = (2 * torch.randn(6, 50, generator=gen)).requires_grad_()
    targets = torch.randint(0, 50, (6,), generator=gen)
    targets[1] = -100
    targets[4] = -100
    loss = F.cross_entropy(logits, targets, ignore_index=-100)
    loss.backward()
    with torch.no_grad():
        loss_sum = F.cross_entropy(logits, targets, ignore_index=-100, reduction="sum")
        loss_none = F.cross_entropy(logits, targets, ignore_index=-100, reduction="none")
    safetensors_io.save(
        out_dir / "cross-entropy.safetensors",
        {
            "logits": logits.detach(),
            "targets": targets.to(torch.int32),
            "loss": loss.detach(),
            "grad": logits.grad,
            "loss_sum": loss_sum,
            "loss_none": loss_none,
        },
    )
    return {"loss": float(loss)}
