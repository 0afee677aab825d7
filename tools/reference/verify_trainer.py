"""Checks of the trainer fixtures against formulas written here, not PyTorch's: AdamW, cross-entropy,
clipping, the appendix D schedule, a float64 replay of the tiny recipe on a functional model, and a
float32 replay of the GPT's ten AdamW steps."""

import json
import math

import torch
import torch.nn.functional as F

import safetensors_io
from verify_checks import MODELS, TRAINER, book_model, expect, max_diff, same_tensors


def settings_of(metadata):
    return {key: json.loads(value) for key, value in metadata.items()}


def adamw_state(params):
    """Zero moments and a step count per parameter, as PyTorch keeps them."""
    return {
        "m": [torch.zeros_like(p) for p in params],
        "v": [torch.zeros_like(p) for p in params],
        "t": [0] * len(params),
    }


def adamw_step(params, grads, state, lr, betas, eps, weight_decay):
    """PyTorch's AdamW: a parameter whose gradient is None is left as it is, its state too; the others
    count one more step t, get the decoupled decay first, then the bias-corrected Adam update with eps
    added to sqrt(v) / sqrt(1 - beta2^t). `state` is updated."""
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        if g is None:
            out.append(p)
            continue
        state["t"][i] += 1
        t = state["t"][i]
        p = p * (1 - lr * weight_decay)
        state["m"][i] = betas[0] * state["m"][i] + (1 - betas[0]) * g
        state["v"][i] = betas[1] * state["v"][i] + (1 - betas[1]) * g * g
        denom = state["v"][i].sqrt() / math.sqrt(1 - betas[1] ** t) + eps
        out.append(p - (lr / (1 - betas[0] ** t)) * state["m"][i] / denom)
    return out


def appendix_d_lr(step, peak_lr, initial_lr, min_lr, warmup_steps, total_steps):
    """Linear warmup, then the cosine written as cos²(π·progress/2) = (1 + cos(π·progress)) / 2."""
    if step < warmup_steps:
        return initial_lr + (peak_lr - initial_lr) * step / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (peak_lr - min_lr) * math.cos(math.pi * progress / 2) ** 2


def verify_adamw_plain():
    plain, meta = safetensors_io.load(TRAINER / "adamw-plain/adamw-plain.safetensors", with_metadata=True)
    settings = settings_of(meta)
    hyper = {"betas": settings["betas"], "eps": settings["eps"], "weight_decay": settings["weight_decay"]}
    names = ["weight", "bias"]
    params = [plain[f"params0.{name}"] for name in names]
    state = adamw_state(params)
    missing = []
    for step, lr in enumerate(settings["lrs"], start=1):
        grads = [plain.get(f"grads{step}.{name}") for name in names]
        missing += [f"{name} at step {step}" for name, grad in zip(names, grads) if grad is None]
        params = adamw_step(params, grads, state, lr, **hyper)
        diff = max(max_diff(p, plain[f"params{step}.{name}"]) for name, p in zip(names, params))
        expect(diff < 1e-6, f"adamw-plain: step {step} (lr {lr}) matches the formula ({diff:.1e})")
    expect(missing == ["bias at step 4"], f"adamw-plain: one missing gradient ({', '.join(missing)})")
    expect(settings["state_steps"] == dict(zip(names, state["t"])), "adamw-plain: step counts per parameter")
    moments = max(
        max_diff(state[key][i], plain[f"{stored}.{name}"])
        for i, name in enumerate(names)
        for key, stored in (("m", "exp_avg"), ("v", "exp_avg_sq"))
    )
    expect(moments < 1e-6, f"adamw-plain: exp_avg and exp_avg_sq after the last step ({moments:.1e})")


def verify_cross_entropy():
    ce = safetensors_io.load(TRAINER / "cross-entropy/cross-entropy.safetensors")
    kept = ce["targets"] != -100
    log_probs = ce["logits"].double().log_softmax(-1)
    rows = torch.arange(6)[kept]
    per_target = torch.zeros(6, dtype=torch.float64)
    per_target[rows] = -log_probs[rows, ce["targets"][kept].long()]
    loss = per_target.sum() / kept.sum()
    grad = log_probs.exp()
    grad[rows, ce["targets"][kept].long()] -= 1
    grad = grad * kept.unsqueeze(1) / kept.sum()
    expect(int(kept.sum()) == 4, "cross-entropy: two targets ignored")
    expect(abs(float(loss) - float(ce["loss"])) < 1e-6, "cross-entropy: loss over the kept rows")
    expect(max_diff(grad, ce["grad"]) < 1e-7, "cross-entropy: gradient, zero on ignored rows")
    total = float(per_target.sum())
    expect(abs(total - float(ce["loss_sum"])) < 1e-5, "cross-entropy: sum of the kept losses")
    expect(max_diff(per_target, ce["loss_none"]) < 1e-6, "cross-entropy: per-target losses, 0 where ignored")


def verify_clip():
    step0 = safetensors_io.load(TRAINER / "adamw-gpt/grads_step0.safetensors")
    clip, meta = safetensors_io.load(TRAINER / "clip/clip.safetensors", with_metadata=True)
    max_norm = settings_of(meta)["max_norm"]
    norm = torch.stack([g.double().norm() for g in step0.values()]).norm()
    coef = min(1.0, max_norm / (float(norm) + 1e-6))
    expect(abs(float(norm) - float(clip["norm"])) < 1e-5, f"clip: norm {float(norm):.6f} before clipping")
    worst = max(max_diff(g * coef, clip[n]) for n, g in step0.items())
    expect(coef < 1 and worst < 1e-7, f"clip: gradients scaled by {coef:.6f} ({worst:.1e})")


def verify_schedule():
    tensors, meta = safetensors_io.load(TRAINER / "schedule/schedule.safetensors", with_metadata=True)
    settings = settings_of(meta)
    lrs = tensors["lrs"].double()
    expected = torch.tensor([appendix_d_lr(step, **settings) for step in range(settings["total_steps"])])
    worst = float(((lrs - expected).abs() / expected).max())
    expect(len(lrs) == 135 and worst < 1e-7, f"schedule: 135 rates match the formula ({worst:.1e} relative)")
    # The book's printout of this schedule, to the digits it shows.
    printed = {
        0: 1e-5,
        1: 4.6667e-5,
        26: 9.6333e-4,
        27: 1e-3,
        28: 9.99791e-4,
        80: 5.19397e-4,
        134: 1.02094e-5,
    }
    off = max(abs(float(lrs[step]) - value) / value for step, value in printed.items())
    expect(off < 1e-4, f"schedule: the book's printed rates ({off:.1e} relative)")


def tiny_loss(params, inputs, targets):
    """Embedding -> tanh -> Linear and the mean cross-entropy over the targets that are not -100."""
    embedding, weight, bias = params
    logits = torch.tanh(embedding[inputs]) @ weight.t() + bias  # [b, T, vocab]
    kept = targets != -100
    picked = logits.log_softmax(-1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return -picked[kept].mean()


def verify_tiny_training():
    tiny, meta = safetensors_io.load(TRAINER / "tiny-training/tiny-training.safetensors", with_metadata=True)
    settings = settings_of(meta)
    schedule_keys = ("peak_lr", "initial_lr", "min_lr", "warmup_steps", "total_steps")
    schedule = {key: settings[key] for key in schedule_keys}
    hyper = {"betas": settings["betas"], "eps": settings["eps"], "weight_decay": settings["weight_decay"]}
    names = ["tok_emb.weight", "out_head.weight", "out_head.bias"]
    params = [tiny[f"init.{name}"].double() for name in names]
    state = adamw_state(params)
    inputs, targets = tiny["inputs"].long(), tiny["targets"].long()
    losses, norms = [], []
    for step in range(schedule["total_steps"]):
        live = [p.clone().requires_grad_() for p in params]
        loss = tiny_loss(live, inputs, targets)
        grads = torch.autograd.grad(loss, live)
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads))
        scale = min(1.0, settings["max_norm"] / (norm + 1e-6))
        lr = appendix_d_lr(step, **schedule)
        params = adamw_step(params, [g * scale for g in grads], state, lr, **hyper)
        losses.append(float(loss))
        norms.append(norm)
    figures = {
        "losses": max_diff(torch.tensor(losses), tiny["losses"]),
        "norms": max_diff(torch.tensor(norms), tiny["norms"]),
        "final weights": max(max_diff(p, tiny[f"final.{name}"]) for name, p in zip(names, params)),
    }
    for what, diff in figures.items():
        expect(diff < 1e-6, f"tiny-training: {what} match a float64 replay ({diff:.1e})")
    expect(sum(n > settings["max_norm"] for n in norms) == 7, "tiny-training: clipping acts in 7 of 10 steps")


def verify_adamw_gpt():
    directory = TRAINER / "adamw-gpt"
    settings = json.loads((directory / "config.json").read_text())
    cfg = {k: v for k, v in settings["model"].items() if k != "tied"}
    initial = safetensors_io.load(directory / "initial.safetensors")
    batches = safetensors_io.load(directory / "batches.safetensors")
    losses = json.loads((directory / "losses.json").read_text())
    expect(
        same_tensors(initial, safetensors_io.load(MODELS / "tiny-qkvbias-untied/book.safetensors")),
        "adamw-gpt: starts from tiny-qkvbias-untied",
    )
    model = book_model(cfg, False, initial).train()
    names = [n for n, _ in model.named_parameters()]
    params = [p.detach().clone() for _, p in model.named_parameters()]
    hyper = {**settings["optimizer"], "betas": tuple(settings["optimizer"]["betas"])}
    lr = hyper.pop("lr")

    state = adamw_state(params)
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
        params = adamw_step(params, grads, state, lr, **hyper)
    final = safetensors_io.load(directory / "final.safetensors")
    noise = set(settings["zero_gradient"])
    diffs = {n: max_diff(p, final[n]) for n, p in zip(names, params)}
    for n in sorted(diffs, key=diffs.get, reverse=True)[:4]:
        print(f"     {n}: {diffs[n]:.1e}")
    diff = max(d for n, d in diffs.items() if n not in noise)
    expect(diff < 1e-5, f"adamw-gpt: final weights match the formula ({diff:.1e}), key biases aside")
    drift = max(diffs[n] for n in noise)
    expect(drift < 10 * lr, f"adamw-gpt: key biases within 10·lr ({drift:.1e})")


def verify_trainer():
    verify_adamw_plain()
    verify_cross_entropy()
    verify_clip()
    verify_schedule()
    verify_tiny_training()
    verify_adamw_gpt()
