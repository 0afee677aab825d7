"""Training throughput of the PyTorch reference classifier (chapter 6, appendix E): the baseline that
`apps/node-gpu/bench/classify-sms.mjs` quotes its step times against.

    /usr/bin/python3 tools/reference/classify_bench.py --config gpt-micro --trainable all --steps 20
    /usr/bin/python3 tools/reference/classify_bench.py --config gpt-micro --lora-rank 16 --pooling last-non-pad

Builds the book's GPTModel with the config's sizes, replaces its head with a 2-class Linear, makes the
chosen part trainable (or freezes it all and adds LoRA updates to every Linear), then times --steps
AdamW steps (after --warmup) on random right-padded batches of --batch-size texts of --length tokens
(lengths uniform in [1, length]), and prints one JSON line.
"""

import argparse
import json
import os
import time

import torch

from bench import config_named, keep_freed_memory
from classify import POOLING, TRAINABLE, batch_loss, replace_head, set_trainable
from gpt import GPTModel
from lora import replace_linear_with_lora

# The scratchgpt presets the classification benchmark uses (the book's keys).
PRESETS = {
    "gpt-micro": {"vocab_size": 50257, "context_length": 128, "emb_dim": 128, "n_heads": 4, "n_layers": 4, "drop_rate": 0.1, "qkv_bias": False},
    "gpt-nano": {"vocab_size": 50257, "context_length": 128, "emb_dim": 48, "n_heads": 3, "n_layers": 3, "drop_rate": 0.1, "qkv_bias": False},
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--config", default="gpt-micro", help=f"{', '.join(PRESETS)}, tiny, gpt2-small or a config.json")
    parser.add_argument("--trainable", default="all", choices=TRAINABLE)
    parser.add_argument("--lora-rank", type=int, help="LoRA on every Linear instead (alpha = rank)")
    parser.add_argument("--pooling", default="last-non-pad", choices=POOLING)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--length", type=int, default=120, help="tokens per padded text (default 120)")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own default)")
    parser.add_argument("--seed", type=int, default=123)
    return parser.parse_args()


def main():
    args = parse_args()
    malloc_tuned = keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = dict(PRESETS[args.config]) if args.config in PRESETS else config_named(args.config)
    model = replace_head(GPTModel(cfg), 2, args.seed)
    if args.lora_rank:
        for parameter in model.parameters():
            parameter.requires_grad = False
        replace_linear_with_lora(model, args.lora_rank, args.lora_rank)
    else:
        set_trainable(model, args.trainable)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
    data = torch.Generator().manual_seed(args.seed)
    batch, length, pad = args.batch_size, args.length, cfg["vocab_size"] - 1

    def step():
        ids = torch.randint(0, pad, (batch, length), generator=data)
        lengths = torch.randint(1, length + 1, (batch,), generator=data)
        ids = torch.where(torch.arange(length) < lengths.unsqueeze(-1), ids, torch.full_like(ids, pad))
        labels = torch.randint(0, 2, (batch,), generator=data)
        optimizer.zero_grad()
        loss = batch_loss(model, ids, lengths, labels, args.pooling)
        loss.backward()
        optimizer.step()

    model.train()
    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "framework": "pytorch",
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "mallocTuned": malloc_tuned,
                "openblasCoretype": os.environ.get("OPENBLAS_CORETYPE"),
                "config": args.config,
                "trainable": f"lora-{args.lora_rank}" if args.lora_rank else args.trainable,
                "trainableParameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
                "pooling": args.pooling,
                "batchSize": batch,
                "length": length,
                "steps": args.steps,
                "secondsPerStep": round(elapsed / args.steps, 4),
                "loadAverage": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
