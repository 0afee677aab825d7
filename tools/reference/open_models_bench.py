"""Generation and training throughput of the PyTorch reference decoders (open_models.py) with the shapes
of the published Qwen3-0.6B and Gemma-3-270M, random weights: the baseline scratchgpt's open models are
compared with (apps/node-gpu/bench/open-models-vs-pytorch.mjs).

    /usr/bin/python3 tools/reference/open_models_bench.py --shape qwen3-0.6b --measure generate
    /usr/bin/python3 tools/reference/open_models_bench.py --shape gemma3-270m --measure train --batch-size 1 --context 64

generate: a --prompt-tokens prompt, then --new-tokens greedy tokens with the KV cache, batch 1 (one
untimed warm-up of two tokens first). train: --warmup untimed then --steps timed AdamW steps (lr 4e-4,
weight decay 0.1) on random token batches. Prints one JSON line.
"""

import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

from bench import keep_freed_memory, openblas_kernels
from open_models import Decoder, greedy_cached

COMMON = {
    "norm_unit_offset": False,
    "sandwich_norms": False,
    "scale_embeddings": False,
    "activation": "silu",
    "rope_scaling": None,
    "sliding_window": None,
    "rope_local_base": None,
    "qk_norm": True,
    "norm_eps": 1e-6,
    "tie_embeddings": True,
}
# The published config.json sizes (as QWEN3_PRESETS['0.6B'] and GEMMA3_PRESETS['270M'] hold them).
SHAPES = {
    "qwen3-0.6b": {
        **COMMON,
        "vocab_size": 151_936,
        "context_length": 40_960,
        "emb_dim": 1024,
        "n_heads": 16,
        "n_kv_groups": 8,
        "head_dim": 128,
        "hidden_dim": 3072,
        "layer_types": ["full"] * 28,
        "rope_base": 1_000_000.0,
    },
    "gemma3-270m": {
        **COMMON,
        "vocab_size": 262_144,
        "context_length": 32_768,
        "emb_dim": 640,
        "n_heads": 4,
        "n_kv_groups": 1,
        "head_dim": 256,
        "hidden_dim": 2048,
        "layer_types": ["full" if (i + 1) % 6 == 0 else "sliding" for i in range(18)],
        "rope_base": 1_000_000.0,
        "rope_local_base": 10_000.0,
        "sliding_window": 512,
        "query_pre_attn_scalar": 256,
        "final_logit_softcap": None,
        "norm_unit_offset": True,
        "sandwich_norms": True,
        "scale_embeddings": True,
        "activation": "gelu_tanh",
    },
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), required=True)
    parser.add_argument("--measure", choices=["generate", "train"], required=True)
    parser.add_argument("--prompt-tokens", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2, help="timed training steps (default 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed training steps first (default 1)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own default)")
    parser.add_argument("--seed", type=int, default=123)
    return parser.parse_args()


def measure_generate(model, cfg, args, data):
    model.eval()
    prompt = torch.randint(0, cfg["vocab_size"], (1, args.prompt_tokens), generator=data)
    greedy_cached(model, prompt, 2)
    start = time.perf_counter()
    greedy_cached(model, prompt, args.new_tokens)
    elapsed = time.perf_counter() - start
    return {"generateTokensPerSec": round(args.new_tokens / elapsed, 3), "seconds": round(elapsed, 3)}


def measure_train(model, cfg, args, data):
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)

    def step():
        tokens = torch.randint(0, cfg["vocab_size"], (args.batch_size, args.context + 1), generator=data)
        optimizer.zero_grad()
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten())
        loss.backward()
        optimizer.step()
        return float(loss)

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    elapsed = time.perf_counter() - start
    tokens = args.batch_size * args.context * args.steps
    return {"trainTokensPerSec": round(tokens / elapsed, 3), "secondsPerStep": round(elapsed / args.steps, 3)}


def main():
    args = parse_args()
    malloc_tuned = keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = SHAPES[args.shape]
    model = Decoder(cfg)
    data = torch.Generator().manual_seed(args.seed)
    measured = (measure_generate if args.measure == "generate" else measure_train)(model, cfg, args, data)
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": openblas_kernels(),
        "mallocTuned": malloc_tuned,
        "shape": args.shape,
        "measure": args.measure,
        "parameters": sum(p.numel() for p in model.parameters()),
        **measured,
        "loadAverage": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
