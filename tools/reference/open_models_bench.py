"""Generation and training throughput of the PyTorch reference decoders (open_models.py) with the shapes
of the published Qwen3-0.6B and Gemma-3-270M, random weights: the baseline scratchgpt's open models are
compared with (apps/node-gpu/bench/open-models-vs-pytorch.mjs).

    /usr/bin/python3 tools/reference/open_models_bench.py --shape qwen3-0.6b --measure generate
    /usr/bin/python3 tools/reference/open_models_bench.py --shape gemma3-270m --measure train --batch-size 1 --context 64
    /usr/bin/python3 tools/reference/open_models_bench.py --shape qwen3-0.6b --measure lora-train --base-precision bf16

generate: a --prompt-tokens prompt, then --new-tokens greedy tokens with the KV cache, batch 1 (one
untimed warm-up of two tokens first). train: --warmup untimed then --steps timed AdamW steps (lr 4e-4,
weight decay 0.1) on random token batches. lora-train: the same steps with the model frozen and a LoRA
update (lora.py: rank --lora-rank, alpha --lora-alpha, scale alpha / rank) on every linear layer (the
seven projections of each block; the head is tied to the embedding and takes none), the frozen base in
float32 or, with --base-precision bf16, stored in bfloat16 and widened for each product (half_base.py).
Prints one JSON line.
"""

import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

from bench import keep_freed_memory, openblas_kernels
from half_base import logits, store_base_bf16
from lora import replace_linear_with_lora
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
    parser.add_argument("--measure", choices=["generate", "train", "lora-train"], required=True)
    parser.add_argument("--prompt-tokens", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2, help="timed training steps (default 2)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed training steps first (default 1)")
    parser.add_argument("--lora-rank", type=int, default=16, help="lora-train: the updates' rank (default 16)")
    parser.add_argument("--lora-alpha", type=float, default=16, help="lora-train: their alpha (default 16)")
    parser.add_argument(
        "--base-precision",
        choices=["f32", "bf16"],
        default="f32",
        help="lora-train: how the frozen base is stored (default f32)",
    )
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


def measure_train(model, cfg, args, data, forward=None):
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=4e-4, weight_decay=0.1)
    forward = forward or model

    def step():
        tokens = torch.randint(0, cfg["vocab_size"], (args.batch_size, args.context + 1), generator=data)
        optimizer.zero_grad()
        scores = forward(tokens[:, :-1])
        loss = F.cross_entropy(scores.flatten(0, 1), tokens[:, 1:].flatten())
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
    return {
        "trainTokensPerSec": round(tokens / elapsed, 3),
        "secondsPerStep": round(elapsed / args.steps, 3),
        "trainableParameters": sum(p.numel() for p in trainable),
    }


def measure_lora_train(model, cfg, args, data):
    """train's steps on LoRA updates alone: every base parameter frozen, the base in --base-precision."""
    for param in model.parameters():
        param.requires_grad_(False)
    replace_linear_with_lora(model, args.lora_rank, args.lora_alpha)
    if args.base_precision == "bf16":
        store_base_bf16(model)
    measured = measure_train(model, cfg, args, data, forward=lambda ids: logits(model, ids))
    return {**measured, "loraRank": args.lora_rank, "loraAlpha": args.lora_alpha, "basePrecision": args.base_precision}


MEASURES = {"generate": measure_generate, "train": measure_train, "lora-train": measure_lora_train}


def main():
    args = parse_args()
    malloc_tuned = keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = SHAPES[args.shape]
    model = Decoder(cfg)
    parameters = sum(p.numel() for p in model.parameters())
    data = torch.Generator().manual_seed(args.seed)
    measured = MEASURES[args.measure](model, cfg, args, data)
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": openblas_kernels(),
        "mallocTuned": malloc_tuned,
        "shape": args.shape,
        "measure": args.measure,
        "parameters": parameters,
        **measured,
        "loadAverage": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
