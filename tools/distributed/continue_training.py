"""Continues training a scratchgpt checkpoint in PyTorch with DistributedDataParallel, for when a model
outgrows one machine, then writes it back as a checkpoint scratchgpt loads.

    torchrun --nproc_per_node 2 tools/distributed/continue_training.py \\
        --model runs/verdict --tokens ids.safetensors --out runs/verdict-ddp --steps 100

(Debian's python3-torch: `/usr/bin/python3 -m torch.distributed.run` where there is no `torchrun`.)
--model is a checkpoint directory: a GPT-2 one (config.json + model.safetensors, either layout;
scratchgpt writes the Hugging Face one), or a Hugging Face checkpoint of Qwen3, Llama 3 or Gemma 3
(config.json's model_type says which; one model.safetensors or shards, F32/F16/BF16), built with
tools/reference/open_models.py. --tokens holds the training text's token ids: the JSON `scratchgpt
tokenize --file TEXT --ids --json` prints, or a safetensors file with an `ids` tensor. Each of the
world's processes takes its own windows of every global batch; DDP averages the gradients, so all
processes hold the same weights after each step. The backend is nccl on GPUs (one per process,
`cuda:LOCAL_RANK`) and gloo on CPUs.

Rank 0 prints one JSON line per step ({"step","loss"}: the loss averaged over every process) and a last
{"event":"done",...} line, and writes --out atomically: config.json and model.safetensors in the Hugging
Face layout (F32; an open model keeps its config.json, a tied head is stored once, and the tokenizer's
files are copied), and expected.safetensors holding `input_ids` (the first window of the text) with the
final model's `logits` on them, which scratchgpt's logits must equal.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))

import safetensors_io  # noqa: E402
from check_checkpoint import load_checkpoint  # noqa: E402
from gpt import weights  # noqa: E402
from layouts import book_to_hf, hf_config  # noqa: E402
from open_checkpoint import is_open_model, load_open_checkpoint, open_checkpoint_files  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="checkpoint directory to start from")
    parser.add_argument("--tokens", type=Path, required=True, help="token ids: .json with ids, or .safetensors")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=2, help="windows per process and step")
    parser.add_argument("--context", type=int, help="window length (default: the model's context)")
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--backend", choices=("nccl", "gloo"), help="default: nccl with CUDA, else gloo")
    return parser.parse_args()


def read_ids(path):
    """Token ids from `scratchgpt tokenize --ids --json` output, or a safetensors file's `ids`."""
    if path.suffix == ".json":
        return torch.tensor(json.loads(path.read_text())["ids"], dtype=torch.long)
    return safetensors_io.load(path)["ids"].long()


def windows(ids, context):
    """Non-overlapping (input, target) windows of `context` tokens, targets shifted by one."""
    count = (len(ids) - 1) // context
    if count == 0:
        raise SystemExit(f"error: {len(ids)} tokens are too few for one window of {context}")
    inputs = torch.stack([ids[i * context : (i + 1) * context] for i in range(count)])
    targets = torch.stack([ids[i * context + 1 : (i + 1) * context + 1] for i in range(count)])
    return inputs, targets


def global_batch(step, rank, world, batch_size, count):
    """This process's window indices at `step`: the world's batch is world × batch_size consecutive
    windows (wrapping around the text), and rank r takes the r-th slice of it."""
    first = (step * world + rank) * batch_size
    return [(first + i) % count for i in range(batch_size)]


def save_atomically(directory, files):
    """Writes every file into a temporary directory beside `directory`, then swaps it into place."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    for name, write in files.items():
        write(staging / name)
    if directory.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{directory.name}-old-", dir=directory.parent))
        os.replace(directory, old / "checkpoint")
        os.replace(staging, directory)
        for leftover in (old / "checkpoint").iterdir():
            leftover.unlink()
        (old / "checkpoint").rmdir()
        old.rmdir()
    else:
        os.replace(staging, directory)


def load_model(directory):
    """(model, description, files): the checkpoint's model, what it is, and a function giving the
    {file name: writer} of the trained model's checkpoint in the Hugging Face layout. An open family
    (Qwen3, Llama 3, Gemma 3) is told by config.json's model_type; anything else is GPT-2."""
    config_path = directory / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    if is_open_model(config):
        model, hf, description = load_open_checkpoint(directory)
        return model, description, lambda trained: open_checkpoint_files(trained, hf, directory)
    model, description = load_checkpoint(directory)
    tied = description["tied"]

    def gpt2_files(trained):
        config = {**description, "drop_rate": 0.0}
        return {
            "model.safetensors": lambda path: safetensors_io.save(
                path, book_to_hf(weights(trained), tied), {"format": "pt", "producer": "torch-ddp"}
            ),
            "config.json": lambda path: path.write_text(json.dumps(hf_config(config, tied), indent=2) + "\n"),
        }

    return model, description, gpt2_files


def main():
    args = parse_args()
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if backend == "nccl" else "cpu")
    torch.manual_seed(123)

    model, description, checkpoint_files = load_model(args.model)
    context = args.context or description["context_length"]
    if context > description["context_length"]:
        raise SystemExit(f"error: --context {context} exceeds the model's {description['context_length']}")
    model.to(device).train()
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if backend == "nccl" else None)
    optimizer = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    ids = read_ids(args.tokens)
    if len(ids) > 0 and int(ids.max()) >= description["vocab_size"]:
        raise SystemExit(
            f"error: --tokens holds id {int(ids.max())}, outside the model's vocabulary of {description['vocab_size']}: "
            "tokenize the text with the model's own tokenizer"
        )
    inputs, targets = windows(ids, context)
    for step in range(args.steps):
        chosen = global_batch(step, rank, world, args.batch_size, len(inputs))
        x, y = inputs[chosen].to(device), targets[chosen].to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(ddp(x).flatten(0, 1), y.flatten())
        loss.backward()  # DDP averages the gradients over the world here
        optimizer.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0:
            print(json.dumps({"step": step + 1, "loss": float(mean) / world}), flush=True)

    # DDP keeps replicas equal: every process must end with the same weights.
    checksum = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().to(device)
    sums = [torch.zeros_like(checksum) for _ in range(world)]
    dist.all_gather(sums, checksum)
    if rank == 0:
        if any(float(s) != float(sums[0]) for s in sums):
            raise SystemExit(f"error: the processes' weights differ: {[float(s) for s in sums]}")
        model.eval().cpu()
        probe = inputs[:1]
        with torch.no_grad():
            logits = model(probe)
        save_atomically(
            args.out,
            {
                **checkpoint_files(model),
                "expected.safetensors": lambda path: safetensors_io.save(
                    path, {"input_ids": probe.to(torch.int32), "logits": logits}
                ),
            },
        )
        print(json.dumps({"event": "done", "world": world, "backend": backend, "steps": args.steps, "checkpoint": str(args.out)}), flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
