"""Greedy generation with a KV cache of the book's GPT-2 (gpt.py's GPTModel, the gpt2-small shape, random
weights): the PyTorch baseline of apps/node-gpu/bench/half-generation.mjs.

    /usr/bin/python3 tools/reference/gpt2_kv_generate.py --prompt-tokens 32 --new-tokens 32

The cache keeps each block's keys and values, so every new token runs through the blocks alone, as the
book's KV-cache bonus does; one untimed warm-up of two tokens first. Prints one JSON line with the
tokens per second and the process's peak resident memory.
"""

import argparse
import json
import math
import os
import resource
import time

import torch

from bench import keep_freed_memory, openblas_kernels
from gpt import GPT_CONFIG_124M, GPTModel


def heads(att, x):
    """(B, T, d_out) → (B, heads, T, head_dim)"""
    b, t, _ = x.shape
    return x.view(b, t, att.num_heads, att.head_dim).transpose(1, 2)


def cached_block(block, x, cache, offset):
    att = block.att
    h = block.norm1(x)
    q, k, v = heads(att, att.W_query(h)), heads(att, att.W_key(h)), heads(att, att.W_value(h))
    if cache is not None:
        k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
    scores = q @ k.transpose(2, 3) / math.sqrt(att.head_dim)
    t = x.shape[1]
    if t > 1:
        # Query i sees keys up to offset + i.
        keys = torch.arange(offset + t)
        queries = torch.arange(offset, offset + t)
        scores = scores.masked_fill(keys[None, :] > queries[:, None], float("-inf"))
    context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(x.shape[0], t, att.d_out)
    x = x + att.out_proj(context)
    return x + block.ff(block.norm2(x)), (k, v)


def next_logits(model, ids, caches, offset):
    positions = torch.arange(offset, offset + ids.shape[1])
    x = model.tok_emb(ids) + model.pos_emb(positions)
    for i, block in enumerate(model.trf_blocks):
        x, caches[i] = cached_block(block, x, caches[i], offset)
    return model.out_head(model.final_norm(x[:, -1]))


@torch.no_grad()
def greedy(model, prompt, new_tokens):
    caches = [None] * len(model.trf_blocks)
    ids, offset, out = prompt, 0, []
    for _ in range(new_tokens):
        logits = next_logits(model, ids, caches, offset)
        offset += ids.shape[1]
        ids = logits.argmax(dim=-1, keepdim=True)
        out.append(int(ids))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--prompt-tokens", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own default)")
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args()
    malloc_tuned = keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = {**GPT_CONFIG_124M, "drop_rate": 0.0}
    model = GPTModel(cfg).eval()
    data = torch.Generator().manual_seed(args.seed)
    prompt = torch.randint(0, cfg["vocab_size"], (1, args.prompt_tokens), generator=data)
    greedy(model, prompt, 2)
    start = time.perf_counter()
    greedy(model, prompt, args.new_tokens)
    elapsed = time.perf_counter() - start
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": openblas_kernels(),
        "mallocTuned": malloc_tuned,
        "parameters": sum(p.numel() for p in model.parameters()),
        "generateTokensPerSec": round(args.new_tokens / elapsed, 3),
        "seconds": round(elapsed, 3),
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "loadAverage": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
