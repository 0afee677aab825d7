"""Training (or forward) throughput of the PyTorch reference, the baseline scratchgpt is compared with.

    /usr/bin/python3 tools/reference/bench.py --config tiny --batch-size 4 --context 64 --steps 10
    /usr/bin/python3 tools/reference/bench.py --config gpt2-small --batch-size 2 --context 256 --steps 2
    /usr/bin/python3 tools/reference/bench.py --config tiny --forward

Builds the book's GPTModel with the config's sizes and --context positions, runs --warmup steps then
--steps timed AdamW steps (lr 4e-4, weight decay 0.1) on random token batches, and prints one JSON line.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from check_checkpoint import CheckpointError, read_config
from gpt import GPT_CONFIG_124M, GPTModel

CONFIGS = {
    "gpt2-small": GPT_CONFIG_124M,
    "tiny": {
        "vocab_size": 50257,
        "context_length": 64,
        "emb_dim": 128,
        "n_heads": 4,
        "n_layers": 2,
        "drop_rate": 0.1,
        "qkv_bias": False,
    },
}


# glibc mallopt parameters
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_MAX = -1, -2, -4


def keep_freed_memory():
    """Makes glibc keep freed memory in the heap instead of returning it to the system. PyTorch frees
    and reallocates its large activations and gradients every step; on virtual machines where a page
    fault is expensive, touching fresh pages again each step can cost more than the arithmetic (several
    times slower on the tiny config). Returns whether the settings took."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name)
    if not hasattr(libc, "mallopt"):
        return False
    settings = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1), (M_TOP_PAD, 256 << 20))
    return all(libc.mallopt(option, value) == 1 for option, value in settings)


def openblas_kernels():
    """The OpenBLAS kernel set and build that torch's BLAS calls run on (the library torch loaded), or
    None when torch uses another BLAS."""
    try:
        library = ctypes.CDLL("libopenblas.so.0")
        library.openblas_get_corename.restype = ctypes.c_char_p
        library.openblas_get_config.restype = ctypes.c_char_p
        return {
            "coreType": library.openblas_get_corename().decode(),
            "config": library.openblas_get_config().decode().strip(),
            "threads": library.openblas_get_num_threads(),
        }
    except (OSError, AttributeError):
        return None


def config_named(name):
    if name in CONFIGS:
        return dict(CONFIGS[name])
    path = Path(name)
    if not path.is_file():
        raise SystemExit(f"error: --config {name} is neither {' nor '.join(CONFIGS)} nor a JSON file")
    try:
        cfg, _ = read_config(path)
    except CheckpointError as error:
        raise SystemExit(f"error: {error}") from None
    return cfg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--config", default="tiny", help="tiny, gpt2-small or a config.json (default tiny)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--context", type=int, help="tokens per sequence (default: the config's context)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own default)")
    parser.add_argument("--forward", action="store_true", help="time forward passes only (eval, no grad)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument(
        "--system-malloc", action="store_true", help="leave glibc's malloc settings alone (see README)"
    )
    return parser.parse_args()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main():
    args = parse_args()
    malloc_tuned = False if args.system_malloc else keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    cfg = config_named(args.config)
    cfg["context_length"] = args.context or cfg["context_length"]
    batch, context = args.batch_size, cfg["context_length"]

    model = GPTModel(cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
    data = torch.Generator().manual_seed(args.seed)

    def random_batch():
        tokens = torch.randint(0, cfg["vocab_size"], (batch, context + 1), generator=data)
        return tokens[:, :-1].to(device), tokens[:, 1:].to(device)  # inputs, targets: [B, T]

    def train_step():
        inputs, targets = random_batch()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
        loss.backward()
        optimizer.step()
        return loss

    def forward_step():
        inputs, _ = random_batch()
        with torch.no_grad():
            return model(inputs)

    step = forward_step if args.forward else train_step
    model.eval() if args.forward else model.train()
    for _ in range(args.warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        out = step()
    sync(device)
    elapsed = time.perf_counter() - start

    rate = batch * context * args.steps / elapsed
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "blas": openblas_kernels(),
        "mallocTuned": malloc_tuned,
        "config": args.config,
        "parameters": sum(p.numel() for p in model.parameters()),
        "batchSize": batch,
        "context": context,
        "steps": args.steps,
        "warmup": args.warmup,
        "mode": "forward" if args.forward else "train",
        ("forwardTokensPerSec" if args.forward else "trainTokensPerSec"): round(rate, 2),
        "secondsPerStep": round(elapsed / args.steps, 4),
        # other work on a shared machine slows every figure: the 1-minute load average at the end
        "loadAverage": round(os.getloadavg()[0], 2),
    }
    if not args.forward:
        result["lastLoss"] = round(float(out), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
