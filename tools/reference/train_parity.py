"""Step-for-step training parity with scratchgpt at the chapter 5 settings, without randomness.

    /usr/bin/python3 tools/reference/train_parity.py init DIR [--seed 123] [--config gpt2-small]
    /usr/bin/python3 tools/reference/train_parity.py train --ids FILE --init DIR --steps N --against OUT

`init` writes a checkpoint directory (book `config.json` with dropout 0, book-layout
`model.safetensors`) of a freshly seeded model. `train` loads it, trains N AdamW steps (lr 4e-4,
weight decay 0.1) on batches of 2 consecutive windows of 256 training ids, in order (epochs wrap
around), printing one JSON line per step with its loss; then it loads the checkpoint scratchgpt wrote
to OUT after the same steps and prints how far its weights are from PyTorch's: the largest absolute
difference, and the norm of the difference relative to the norm of what training changed.
`apps/node-gpu/bench/train-parity.mjs` runs both sides and compares the losses.
"""

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import safetensors_io
from bench import CONFIGS, keep_freed_memory
from check_checkpoint import load_checkpoint
from gpt import GPTModel, weights

CONTEXT, BATCH = 256, 2


def init(args):
    torch.manual_seed(args.seed)
    cfg = {**CONFIGS[args.config], "context_length": CONTEXT, "drop_rate": 0.0}
    model = GPTModel(cfg)
    args.dir.mkdir(parents=True, exist_ok=True)
    (args.dir / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    tensors = {name: t.contiguous() for name, t in weights(model).items()}
    safetensors_io.save(args.dir / "model.safetensors", tensors, {"format": "pt"})
    print(json.dumps({"init": str(args.dir), "seed": args.seed, "config": args.config}))


def windows(ids):
    starts = range(0, len(ids) - CONTEXT, CONTEXT)
    inputs = torch.tensor([ids[s : s + CONTEXT] for s in starts])
    targets = torch.tensor([ids[s + 1 : s + CONTEXT + 1] for s in starts])
    return inputs, targets


def train(args):
    keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    with open(args.ids) as f:
        inputs, targets = windows(json.load(f)["train"])
    model, _ = load_checkpoint(args.init)
    start = {name: t.detach().clone() for name, t in weights(model).items()}
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
    per_epoch = len(inputs) // BATCH
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        first = ((step - 1) % per_epoch) * BATCH
        x, y = inputs[first : first + BATCH], targets[first : first + BATCH]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        loss.backward()
        optimizer.step()
        print(json.dumps({"step": step, "loss": loss.item()}), flush=True)
    seconds = time.perf_counter() - started

    theirs, _ = load_checkpoint(args.against)
    ours = weights(model)
    max_abs, worst, diff_sq, change_sq = 0.0, None, 0.0, 0.0
    for name, tensor in weights(theirs).items():
        diff = (tensor - ours[name]).double()
        change = (ours[name] - start[name]).double()
        largest = float(diff.abs().max())
        if largest > max_abs:
            max_abs, worst = largest, name
        diff_sq += float((diff * diff).sum())
        change_sq += float((change * change).sum())
    summary = {
        "steps": args.steps,
        "seconds": seconds,
        "weightsMaxAbsDiff": max_abs,
        "worstTensor": worst,
        "diffOverChange": (diff_sq / change_sq) ** 0.5 if change_sq > 0 else None,
    }
    print(json.dumps(summary))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    init_parser = commands.add_parser("init", help="write a seeded model's checkpoint directory")
    init_parser.add_argument("dir", type=Path)
    init_parser.add_argument("--seed", type=int, default=123)
    init_parser.add_argument("--config", choices=sorted(CONFIGS), default="gpt2-small")
    train_parser = commands.add_parser("train", help="train in order and compare with scratchgpt's weights")
    train_parser.add_argument("--ids", required=True, help='JSON {"train": [...]}')
    train_parser.add_argument("--init", required=True, type=Path)
    train_parser.add_argument("--steps", required=True, type=int)
    train_parser.add_argument("--against", required=True, type=Path, help="scratchgpt's checkpoint after the steps")
    train_parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    (init if args.command == "init" else train)(args)


if __name__ == "__main__":
    main()
