"""Writes the PyTorch reference fixtures the trainer's tests compare against.

Run from the repository root with the interpreter that has PyTorch:

    /usr/bin/python3 packages/trainer/fixtures-src/make_trainer_fixtures.py

Every fixture is a small safetensors file in packages/trainer/src/__fixtures__/. The safetensors
format is written here directly (8-byte little-endian header length, a JSON header padded with
spaces to a multiple of 8 bytes, then the raw little-endian data), so nothing beyond PyTorch is needed.
Seeds are fixed: running the script again rewrites the same bytes.
"""

import json
import math
import os
import struct

import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__fixtures__")

DTYPES = {torch.float32: ("F32", 4), torch.int32: ("I32", 4)}


def write_safetensors(name, tensors, metadata=None):
    header = {}
    chunks = []
    offset = 0
    for key, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        if tensor.dtype == torch.float64:
            tensor = tensor.float()
        if tensor.dtype == torch.int64:
            tensor = tensor.int()
        dtype, size = DTYPES[tensor.dtype]
        data = tensor.numpy().astype(tensor.numpy().dtype.newbyteorder("<")).tobytes()
        assert len(data) == tensor.numel() * size
        header[key] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {key: str(value) for key, value in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    path = os.path.join(OUT_DIR, name)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for chunk in chunks:
            handle.write(chunk)
    print(f"wrote {os.path.relpath(path)} ({len(tensors)} tensors)")


def book_lr(step, peak_lr, initial_lr, min_lr, warmup_steps, total_steps):
    """Appendix D: linear warmup from initial_lr, then cosine decay from peak_lr to min_lr."""
    if step < warmup_steps:
        return initial_lr + step * (peak_lr - initial_lr) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def adamw_fixture():
    """Six AdamW steps on two parameters; the second has no gradient at step 3 (skipped, as None)."""
    torch.manual_seed(0)
    p0 = torch.nn.Parameter(torch.randn(3, 4))
    p1 = torch.nn.Parameter(torch.randn(5))
    tensors = {"init.p0": p0.detach().clone(), "init.p1": p1.detach().clone()}
    lrs = [1e-2, 2e-2, 3e-2, 2e-2, 1e-2, 5e-3]
    skip_p1_at = 3
    optimizer = torch.optim.AdamW([p0, p1], lr=lrs[0], betas=(0.9, 0.98), eps=1e-8, weight_decay=0.1)
    for step, lr in enumerate(lrs):
        optimizer.param_groups[0]["lr"] = lr
        p0.grad = torch.randn(3, 4) * 0.5
        tensors[f"grad.p0.{step}"] = p0.grad.clone()
        if step == skip_p1_at:
            p1.grad = None
        else:
            p1.grad = torch.randn(5) * 2.0
            tensors[f"grad.p1.{step}"] = p1.grad.clone()
        optimizer.step()
        tensors[f"after.p0.{step}"] = p0.detach().clone()
        tensors[f"after.p1.{step}"] = p1.detach().clone()
    for name, param in (("p0", p0), ("p1", p1)):
        state = optimizer.state[param]
        tensors[f"exp_avg.{name}"] = state["exp_avg"].clone()
        tensors[f"exp_avg_sq.{name}"] = state["exp_avg_sq"].clone()
    tensors["lrs"] = torch.tensor(lrs, dtype=torch.float32)
    metadata = {
        "betas": "0.9,0.98",
        "eps": 1e-8,
        "weight_decay": 0.1,
        "steps": len(lrs),
        "skip_p1_at": skip_p1_at,
        "step.p0": int(optimizer.state[p0]["step"].item()),
        "step.p1": int(optimizer.state[p1]["step"].item()),
        "torch": torch.__version__,
    }
    write_safetensors("adamw.safetensors", tensors, metadata)


def cross_entropy_fixture():
    """F.cross_entropy on [6, 50] logits with two ignored targets: losses and d(mean loss)/d logits."""
    torch.manual_seed(1)
    logits = (torch.randn(6, 50) * 2.0).requires_grad_()
    targets = torch.randint(0, 50, (6,))
    targets[1] = -100
    targets[4] = -100
    loss_mean = F.cross_entropy(logits, targets, ignore_index=-100, reduction="mean")
    loss_mean.backward()
    with torch.no_grad():
        loss_sum = F.cross_entropy(logits, targets, ignore_index=-100, reduction="sum")
        loss_none = F.cross_entropy(logits, targets, ignore_index=-100, reduction="none")
    tensors = {
        "logits": logits.detach(),
        "targets": targets,
        "loss_mean": loss_mean.detach().reshape(1),
        "loss_sum": loss_sum.reshape(1),
        "loss_none": loss_none,
        "grad_mean": logits.grad,
    }
    write_safetensors("cross-entropy.safetensors", tensors, {"ignore_index": -100, "torch": torch.__version__})


def clip_fixture():
    """clip_grad_norm_ over three gradients: once above the limit (scaled), once below (unchanged)."""
    torch.manual_seed(2)
    shapes = {"a": (4, 5), "b": (7,), "c": (2, 3)}
    grads = {name: torch.randn(*shape) for name, shape in shapes.items()}
    tensors = {f"grad.{name}": grad.clone() for name, grad in grads.items()}
    for case, max_norm in (("clipped", 1.0), ("unclipped", 100.0)):
        params = [torch.nn.Parameter(torch.zeros(*shapes[name])) for name in shapes]
        for param, name in zip(params, shapes):
            param.grad = grads[name].clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        tensors[f"{case}.norm"] = norm.reshape(1)
        for param, name in zip(params, shapes):
            tensors[f"{case}.{name}"] = param.grad.clone()
    write_safetensors("clip.safetensors", tensors, {"clipped.max_norm": 1.0, "unclipped.max_norm": 100.0})


def schedule_fixture():
    """Appendix D's schedule over 135 steps (float32 in the file)."""
    lrs = [book_lr(step, 1e-3, 1e-5, 1e-5, 27, 135) for step in range(135)]
    write_safetensors(
        "schedule.safetensors",
        {"lrs": torch.tensor(lrs, dtype=torch.float64)},
        {"peak_lr": 1e-3, "initial_lr": 1e-5, "min_lr": 1e-5, "warmup_steps": 27, "total_steps": 135},
    )


class TinyLanguageModel(torch.nn.Module):
    """Embedding -> tanh -> Linear: a training step's shape, small."""

    def __init__(self, vocab_size, emb_dim):
        super().__init__()
        self.tok_emb = torch.nn.Embedding(vocab_size, emb_dim)
        self.out_head = torch.nn.Linear(emb_dim, vocab_size)

    def forward(self, ids):
        return self.out_head(torch.tanh(self.tok_emb(ids)))


def tiny_training_fixture():
    """Ten steps of the whole recipe: cross-entropy with ignored targets, warmup + cosine lr,
    global-norm clipping, AdamW. Losses and gradient norms per step, weights at the start and end."""
    torch.manual_seed(3)
    vocab_size, emb_dim = 16, 8
    model = TinyLanguageModel(vocab_size, emb_dim)
    inputs = torch.randint(0, vocab_size, (2, 5))
    targets = torch.randint(0, vocab_size, (2, 5))
    targets[1, 3:] = -100
    tensors = {f"init.{name}": param.detach().clone() for name, param in model.named_parameters()}
    schedule = dict(peak_lr=5e-2, initial_lr=5e-3, min_lr=1e-3, warmup_steps=3, total_steps=10)
    max_norm = 0.5
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.1)
    losses, norms = [], []
    for step in range(schedule["total_steps"]):
        optimizer.param_groups[0]["lr"] = book_lr(step, **schedule)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten(), ignore_index=-100)
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
        optimizer.step()
        losses.append(loss.item())
    tensors.update({f"final.{name}": param.detach().clone() for name, param in model.named_parameters()})
    tensors.update(
        {
            "inputs": inputs,
            "targets": targets,
            "losses": torch.tensor(losses, dtype=torch.float32),
            "norms": torch.tensor(norms, dtype=torch.float32),
        }
    )
    metadata = {"max_norm": max_norm, "betas": "0.9,0.98", "eps": 1e-8, "weight_decay": 0.1}
    metadata.update(schedule)
    write_safetensors("tiny-training.safetensors", tensors, metadata)


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    adamw_fixture()
    cross_entropy_fixture()
    clip_fixture()
    schedule_fixture()
    tiny_training_fixture()
