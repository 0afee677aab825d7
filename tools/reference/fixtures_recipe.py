"""Training-recipe fixtures: the appendix D learning-rate schedule, and ten steps of the whole recipe
(cross-entropy with ignored targets, schedule, clipping, AdamW) on a tiny language model."""

import math

import torch
import torch.nn.functional as F

import safetensors_io
from fixtures_trainer import json_metadata

APPENDIX_D = {"peak_lr": 1e-3, "initial_lr": 1e-5, "min_lr": 1e-5, "warmup_steps": 27, "total_steps": 135}
TINY_SCHEDULE = {"peak_lr": 5e-2, "initial_lr": 5e-3, "min_lr": 1e-3, "warmup_steps": 3, "total_steps": 10}
TINY_ADAMW = {"betas": (0.9, 0.98), "eps": 1e-8, "weight_decay": 0.1}
TINY_MAX_NORM = 0.5


def book_lr(step, peak_lr, initial_lr, min_lr, warmup_steps, total_steps):
    """Appendix D: linear warmup from initial_lr to peak_lr, then a cosine from peak_lr down to min_lr."""
    if step < warmup_steps:
        return initial_lr + step * (peak_lr - initial_lr) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def write_schedule(out_dir):
    """schedule.safetensors: `lrs` [135], the appendix D rates computed in float64, stored as F32."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lrs = [book_lr(step, **APPENDIX_D) for step in range(APPENDIX_D["total_steps"])]
    tensors = {"lrs": torch.tensor(lrs, dtype=torch.float64).float()}
    safetensors_io.save(out_dir / "schedule.safetensors", tensors, json_metadata(APPENDIX_D))
    return {"lr_at_peak": lrs[APPENDIX_D["warmup_steps"]], "last_lr": lrs[-1]}


class TinyLanguageModel(torch.nn.Module):
    """Embedding -> tanh -> Linear: the shape of a language model's training step, small."""

    def __init__(self, vocab_size, emb_dim):
        super().__init__()
        self.tok_emb = torch.nn.Embedding(vocab_size, emb_dim)
        self.out_head = torch.nn.Linear(emb_dim, vocab_size)

    def forward(self, ids):
        return self.out_head(torch.tanh(self.tok_emb(ids)))  # [b, T, vocab]


def write_tiny_training(out_dir):
    """tiny-training.safetensors: V 16, E 8, one batch [2, 5] with the last two targets of row 1
    ignored; per step: lr from TINY_SCHEDULE, loss, backward, clip to TINY_MAX_NORM, AdamW."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(3)
    vocab_size, emb_dim = 16, 8
    model = TinyLanguageModel(vocab_size, emb_dim)
    inputs = torch.randint(0, vocab_size, (2, 5))
    targets = torch.randint(0, vocab_size, (2, 5))
    targets[1, 3:] = -100
    tensors = {f"init.{name}": param.detach().clone() for name, param in model.named_parameters()}

    optimizer = torch.optim.AdamW(model.parameters(), lr=TINY_SCHEDULE["peak_lr"], **TINY_ADAMW)
    losses, norms = [], []
    for step in range(TINY_SCHEDULE["total_steps"]):
        optimizer.param_groups[0]["lr"] = book_lr(step, **TINY_SCHEDULE)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten(), ignore_index=-100)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), TINY_MAX_NORM)))
        optimizer.step()
        losses.append(float(loss))

    tensors.update({f"final.{name}": param.detach().clone() for name, param in model.named_parameters()})
    tensors.update(
        {
            "inputs": inputs.to(torch.int32),
            "targets": targets.to(torch.int32),
            "losses": torch.tensor(losses, dtype=torch.float32),
            "norms": torch.tensor(norms, dtype=torch.float32),
        }
    )
    settings = {**TINY_SCHEDULE, **TINY_ADAMW, "max_norm": TINY_MAX_NORM}
    safetensors_io.save(out_dir / "tiny-training.safetensors", tensors, json_metadata(settings))
    return {"first_loss": losses[0], "last_loss": losses[-1]}
