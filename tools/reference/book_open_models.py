"""The open families built the book's way: the parameter names and config dict of its bonus models
(`Qwen3Model`, `Llama3Model`, `Gemma3Model` in rasbt/LLMs-from-scratch), computing what
open_models.py computes. A checkpoint written by `scratchgpt convert --layout book` loads into it with
`load_state_dict` as it is, which is what this checks:

    /usr/bin/python3 tools/reference/book_open_models.py DIR --expected FILE

DIR holds the book-layout config.json and model.safetensors; FILE holds `input_ids` and the `logits`
they must give (a fixture's io.safetensors). The maximum absolute difference is printed; the exit status
is 1 above --tolerance (1e-4). Errors exit 1 with one line."""

import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io
from open_models import attention_mask, rope_tables, rotate


def family_of(cfg):
    """Gemma 3 lists its layer types, Llama 3 has its rope_freq, Qwen3 its QK-norm."""
    if "layer_types" in cfg:
        return "gemma3"
    if "rope_freq" in cfg:
        return "llama3"
    if cfg.get("qk_norm") is True:
        return "qwen3"
    raise ValueError("config.json is not the book's config of Qwen3, Llama 3 or Gemma 3")


class RMSNorm(nn.Module):
    """The book's own RMSNorm keeps `scale` (Gemma's an offset from one); its Llama uses PyTorch's,
    whose parameter is `weight`."""

    def __init__(self, dim, eps, unit_offset=False, parameter="scale"):
        super().__init__()
        self.eps, self.unit_offset, self.parameter = eps, unit_offset, parameter
        self.register_parameter(parameter, nn.Parameter(torch.zeros(dim) if unit_offset else torch.ones(dim)))

    def forward(self, x):
        weight = getattr(self, self.parameter)
        normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed * ((1 + weight) if self.unit_offset else weight)


class GroupedQueryAttention(nn.Module):
    def __init__(self, cfg, norm, window, rope_base, rope_freq):
        super().__init__()
        heads, groups, emb = cfg["n_heads"], cfg["n_kv_groups"], cfg["emb_dim"]
        hd = cfg.get("head_dim") or emb // heads
        self.heads, self.groups, self.hd, self.window = heads, groups, hd, window
        self.W_query = nn.Linear(emb, heads * hd, bias=False)
        self.W_key = nn.Linear(emb, groups * hd, bias=False)
        self.W_value = nn.Linear(emb, groups * hd, bias=False)
        self.out_proj = nn.Linear(heads * hd, emb, bias=False)
        self.q_norm = norm(hd) if cfg.get("qk_norm") else None
        self.k_norm = norm(hd) if cfg.get("qk_norm") else None
        self.scale = (cfg.get("query_pre_attn_scalar") or hd) ** -0.5
        cos, sin = rope_tables(hd, cfg["context_length"], rope_base, rope_freq)
        self.register_buffer("cos", cos, persistent=False)  # not in the state dict, as in the book
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.W_query(x).view(b, t, self.heads, self.hd).transpose(1, 2)  # (b, heads, t, hd)
        k = self.W_key(x).view(b, t, self.groups, self.hd).transpose(1, 2)  # (b, groups, t, hd)
        v = self.W_value(x).view(b, t, self.groups, self.hd).transpose(1, 2)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = rotate(q, self.cos[:t], self.sin[:t]), rotate(k, self.cos[:t], self.sin[:t])
        k = k.repeat_interleave(self.heads // self.groups, dim=1)
        v = v.repeat_interleave(self.heads // self.groups, dim=1)
        scores = (q @ k.transpose(2, 3)) * self.scale
        scores = scores.masked_fill(attention_mask(t, self.window), float("-inf"))
        context = torch.softmax(scores, dim=-1) @ v  # (b, heads, t, hd)
        return self.out_proj(context.transpose(1, 2).reshape(b, t, self.heads * self.hd))


class FeedForward(nn.Module):
    def __init__(self, cfg, gelu):
        super().__init__()
        self.fc1 = nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], bias=False)
        self.fc2 = nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], bias=False)
        self.fc3 = nn.Linear(cfg["hidden_dim"], cfg["emb_dim"], bias=False)
        self.gelu = gelu

    def forward(self, x):
        gate = F.gelu(self.fc1(x), approximate="tanh") if self.gelu else F.silu(self.fc1(x))
        return self.fc3(gate * self.fc2(x))


class TransformerBlock(nn.Module):
    """Qwen3 and Llama: norm1 → att, norm2 → ff. Gemma 3: each sub-layer between two norms."""

    def __init__(self, cfg, family, norm, layer_type):
        super().__init__()
        sliding = layer_type == "sliding_attention"
        base = cfg["rope_local_base"] if sliding else cfg["rope_base"]
        if family == "llama3":
            # The book's Llama raises rope_base with the context beyond its original length.
            base = base * cfg["context_length"] / cfg.get("orig_context_length", cfg["context_length"])
        window = cfg["sliding_window"] if sliding else None
        self.att = GroupedQueryAttention(cfg, norm, window, base, cfg.get("rope_freq"))
        self.ff = FeedForward(cfg, gelu=family == "gemma3")
        self.gemma = family == "gemma3"
        if self.gemma:
            self.input_layernorm = norm(cfg["emb_dim"])
            self.post_attention_layernorm = norm(cfg["emb_dim"])
            self.pre_feedforward_layernorm = norm(cfg["emb_dim"])
            self.post_feedforward_layernorm = norm(cfg["emb_dim"])
        else:
            self.norm1 = norm(cfg["emb_dim"])
            self.norm2 = norm(cfg["emb_dim"])

    def forward(self, x):
        if self.gemma:
            x = x + self.post_attention_layernorm(self.att(self.input_layernorm(x)))
            return x + self.post_feedforward_layernorm(self.ff(self.pre_feedforward_layernorm(x)))
        x = x + self.att(self.norm1(x))
        return x + self.ff(self.norm2(x))


class BookModel(nn.Module):
    """tok_emb, the blocks (`trf_blocks`; Gemma's `blocks`), final_norm, out_head."""

    def __init__(self, cfg):
        super().__init__()
        family = family_of(cfg)
        default_eps = 1e-5 if family == "llama3" else 1e-6  # what the book's classes fix
        eps = cfg.get("norm_eps", default_eps)
        parameter = "weight" if family == "llama3" else "scale"
        norm = lambda dim: RMSNorm(dim, eps, family == "gemma3", parameter)  # noqa: E731
        layer_types = cfg.get("layer_types") or ["full_attention"] * cfg["n_layers"]
        self.cfg, self.family = cfg, family
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        blocks = nn.ModuleList(TransformerBlock(cfg, family, norm, kind) for kind in layer_types)
        self.blocks_name = "blocks" if family == "gemma3" else "trf_blocks"
        setattr(self, self.blocks_name, blocks)
        self.final_norm = norm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, ids):
        x = self.tok_emb(ids)
        if self.family == "gemma3":
            x = x * math.sqrt(self.cfg["emb_dim"])
        for block in getattr(self, self.blocks_name):
            x = block(x)
        logits = self.out_head(self.final_norm(x))
        cap = self.cfg.get("final_logit_softcap")
        return logits if cap is None else torch.tanh(logits / cap) * cap


def load(directory):
    cfg = json.loads((directory / "config.json").read_text())
    model = BookModel(cfg)
    tensors = {name: t.float() for name, t in safetensors_io.load(directory / "model.safetensors").items()}
    # strict: every name the book's model has, and nothing else
    model.load_state_dict(tensors, strict=True)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("checkpoint", type=Path, help="book-layout checkpoint directory")
    parser.add_argument("--expected", type=Path, required=True, help="safetensors with input_ids and logits")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        model = load(args.checkpoint)
        expected = safetensors_io.load(args.expected)
        with torch.no_grad():
            logits = model(expected["input_ids"].long())
    except (OSError, KeyError, ValueError, RuntimeError, json.JSONDecodeError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    diff = float((logits - expected["logits"].float()).abs().max())
    ok = diff <= args.tolerance
    print(f"{model.family} logits {list(logits.shape)}: max abs diff {diff:.3e} ({'ok' if ok else 'FAIL'}, tolerance {args.tolerance:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
