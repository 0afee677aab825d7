"""The book's chapter 5 pretraining run in PyTorch, on the same token ids scratchgpt trains on.

    /usr/bin/python3 tools/reference/chapter5.py --ids runs/verdict-ids.json [--seed 123] [--threads N] [--book-rng]

The ids come from `scratchgpt tokenize --ids --json` (GPT-2's BPE) of the training and validation
texts (The Verdict split at 90% of its characters): `apps/node-gpu/bench/chapter5-pytorch.mjs` writes
them and runs this script. GPT-2 small (124M, untied head), context 256, batches of 2 windows at
stride 256 (shuffled each epoch, the last partial batch dropped), AdamW lr 4e-4 and weight decay 0.1,
10 epochs, evaluating every 5 steps on 5 batches of each split. Prints one JSON line per evaluation
and a last line with the final losses and the wall time.

By default the data order comes from a generator of its own, seeded with --seed. With --book-rng the
batches come from `torch.utils.data.DataLoader` (shuffled, the training loss evaluated on shuffled
batches too) and the data order and dropout share torch's global generator, as in the book's notebook.
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from gpt import GPT_CONFIG_124M, GPTModel


def windows(ids, length):
    """Inputs and next-token targets of every window of `length` at stride `length`."""
    starts = range(0, len(ids) - length, length)
    inputs = torch.tensor([ids[s : s + length] for s in starts])
    targets = torch.tensor([ids[s + 1 : s + length + 1] for s in starts])
    return inputs, targets


def batches(inputs, targets, size, shuffle, generator, drop_last):
    order = torch.randperm(len(inputs), generator=generator) if shuffle else torch.arange(len(inputs))
    for start in range(0, len(order), size):
        chosen = order[start : start + size]
        if drop_last and len(chosen) < size:
            return
        yield inputs[chosen], targets[chosen]


def mean_loss(model, data, num_batches):
    total, count = 0.0, 0
    for i, (x, y) in enumerate(data):
        if i >= num_batches:
            break
        total += F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
        count += 1
    return total / count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ids", required=True, help='JSON {"train": [...], "validation": [...]}')
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--book-rng", action="store_true", help="draw the data order as the book does")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    with open(args.ids) as f:
        ids = json.load(f)
    context, batch_size, eval_every, eval_batches = 256, 2, 5, 5
    train_x, train_y = windows(ids["train"], context)
    val_x, val_y = windows(ids["validation"], context)

    torch.manual_seed(args.seed)
    model = GPTModel({**GPT_CONFIG_124M, "context_length": context})
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
    if args.book_rng:
        train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size, shuffle=True, drop_last=True)
        val_loader = DataLoader(TensorDataset(val_x, val_y), batch_size, shuffle=False, drop_last=False)
        train_batches = eval_train_batches = lambda: iter(train_loader)
        eval_val_batches = lambda: iter(val_loader)
    else:
        shuffler = torch.Generator().manual_seed(args.seed)
        train_batches = lambda: batches(train_x, train_y, batch_size, True, shuffler, True)
        eval_train_batches = lambda: batches(train_x, train_y, batch_size, False, None, True)
        eval_val_batches = lambda: batches(val_x, val_y, batch_size, False, None, False)
    started = time.perf_counter()
    step, last = 0, None
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_batches():
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            loss.backward()
            optimizer.step()
            step += 1
            if (step - 1) % eval_every == 0:
                model.eval()
                with torch.no_grad():
                    train_loss = mean_loss(model, eval_train_batches(), eval_batches)
                    val_loss = mean_loss(model, eval_val_batches(), eval_batches)
                model.train()
                last = {"step": step, "epoch": epoch + 1, "trainLoss": train_loss, "valLoss": val_loss}
                print(json.dumps(last), flush=True)
    minutes = (time.perf_counter() - started) / 60
    print(json.dumps({"steps": step, "trainLoss": last["trainLoss"], "valLoss": last["valLoss"], "minutes": minutes}))


if __name__ == "__main__":
    main()
