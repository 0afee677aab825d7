"""Reference decoders of the open model families (Qwen3, Llama 3, Gemma 3) in plain PyTorch, written
from the published architecture descriptions, with Hugging Face parameter names so the weights they
save load by name in @scratchgpt/open-models.

One module serves all three: the families differ only in the switches of `config`
(see fixtures_open_models.py for the three small configurations)."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    """x / rms(x) * weight; Gemma stores weight - 1 and multiplies by (1 + weight)."""

    def __init__(self, dim, eps, unit_offset):
        super().__init__()
        self.eps, self.unit_offset = eps, unit_offset
        self.weight = nn.Parameter(torch.zeros(dim) if unit_offset else torch.ones(dim))

    def forward(self, x):
        normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed * ((1 + self.weight) if self.unit_offset else self.weight)


def inverse_frequencies(head_dim, base, scaling):
    """theta_i = base^(-2i/d) in float64, with Llama 3's band-wise scaling when `scaling` is given, or
    every frequency divided by the factor (positions / factor) for a linear one (Gemma 3's global layers)."""
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    if scaling is None:
        return inv
    if scaling.get("rope_type") == "linear":
        return inv / scaling["factor"]
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_context_length"]
    wavelength = 2 * math.pi / inv
    smooth = (original / wavelength - low) / (high - low)
    blended = (1 - smooth) * inv / factor + smooth * inv
    long_waves = wavelength > original / low
    short_waves = wavelength < original / high
    return torch.where(long_waves, inv / factor, torch.where(short_waves, inv, blended))


def rope_tables(head_dim, length, base, scaling):
    angles = torch.arange(length, dtype=torch.float64)[:, None] * inverse_frequencies(head_dim, base, scaling)
    return torch.cos(angles).float(), torch.sin(angles).float()  # (T, d/2) each


def rotate(x, cos, sin):
    """Rotate-half RoPE: the first and second halves of each head form the pairs."""
    first, second = x.chunk(2, dim=-1)
    return torch.cat([first * cos - second * sin, second * cos + first * sin], dim=-1)


def attention_mask(length, window, offset=0):
    """True where query i may not see key j: the future, and keys `window` or more positions back.
    Queries are at positions offset..offset+length-1, keys at 0..offset+length-1."""
    i = torch.arange(offset, offset + length)[:, None]
    j = torch.arange(offset + length)[None, :]
    blocked = j > i
    if window is not None:
        blocked |= (i - j) >= window
    return blocked


class LayerCache:
    """One layer's keys and values of the tokens seen so far, (B, groups, T, head_dim) each."""

    def __init__(self):
        self.keys = self.values = None

    @property
    def length(self):
        return 0 if self.keys is None else self.keys.shape[2]

    def append(self, keys, values):
        if self.keys is not None:
            keys, values = torch.cat([self.keys, keys], dim=2), torch.cat([self.values, values], dim=2)
        self.keys, self.values = keys, values
        return keys, values


class Attention(nn.Module):
    def __init__(self, cfg, window, rope_base, rope_scaling):
        super().__init__()
        heads, groups, hd, emb = cfg["n_heads"], cfg["n_kv_groups"], cfg["head_dim"], cfg["emb_dim"]
        self.heads, self.groups, self.hd, self.window = heads, groups, hd, window
        self.q_proj = nn.Linear(emb, heads * hd, bias=False)
        self.k_proj = nn.Linear(emb, groups * hd, bias=False)
        self.v_proj = nn.Linear(emb, groups * hd, bias=False)
        self.o_proj = nn.Linear(heads * hd, emb, bias=False)
        if cfg["qk_norm"]:
            self.q_norm = RMSNorm(hd, cfg["norm_eps"], cfg["norm_unit_offset"])
            self.k_norm = RMSNorm(hd, cfg["norm_eps"], cfg["norm_unit_offset"])
        else:
            self.q_norm = self.k_norm = None
        self.scale = (cfg.get("query_pre_attn_scalar") or hd) ** -0.5
        cos, sin = rope_tables(hd, cfg["context_length"], rope_base, rope_scaling)
        # Buffers, so that they move with the model to a GPU; not saved, so the state dict is the weights.
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, x, cache=None):
        """With a cache, x holds the tokens after the cached ones."""
        b, t, _ = x.shape
        offset = 0 if cache is None else cache.length
        q = self.q_proj(x).view(b, t, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.groups, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.groups, self.hd).transpose(1, 2)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        cos, sin = self.cos[offset : offset + t], self.sin[offset : offset + t]
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache is not None:
            k, v = cache.append(k, v)
        # Query head h reads key/value group h // (heads / groups).
        k = k.repeat_interleave(self.heads // self.groups, dim=1)
        v = v.repeat_interleave(self.heads // self.groups, dim=1)
        scores = (q @ k.transpose(2, 3)) * self.scale
        scores = scores.masked_fill(attention_mask(t, self.window, offset).to(scores.device), float("-inf"))
        context = torch.softmax(scores, dim=-1) @ v
        return self.o_proj(context.transpose(1, 2).reshape(b, t, self.heads * self.hd))


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], bias=False)
        self.up_proj = nn.Linear(cfg["emb_dim"], cfg["hidden_dim"], bias=False)
        self.down_proj = nn.Linear(cfg["hidden_dim"], cfg["emb_dim"], bias=False)
        self.gelu_gate = cfg["activation"] == "gelu_tanh"

    def forward(self, x):
        gate = self.gate_proj(x)
        gate = F.gelu(gate, approximate="tanh") if self.gelu_gate else F.silu(gate)
        return self.down_proj(gate * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg, layer_type):
        super().__init__()
        sliding = layer_type == "sliding"
        base = cfg["rope_local_base"] if sliding else cfg["rope_base"]
        scaling = cfg.get("rope_scaling")
        # Gemma 3 scales only its global layers' positions (linearly); Llama 3's scaling is on every layer.
        if sliding and scaling is not None and scaling.get("rope_type") == "linear":
            scaling = None
        self.self_attn = Attention(cfg, cfg["sliding_window"] if sliding else None, base, scaling)
        self.mlp = FeedForward(cfg)
        norm = lambda: RMSNorm(cfg["emb_dim"], cfg["norm_eps"], cfg["norm_unit_offset"])  # noqa: E731
        self.input_layernorm = norm()
        self.post_attention_layernorm = norm()
        self.sandwich = cfg["sandwich_norms"]
        if self.sandwich:
            self.pre_feedforward_layernorm = norm()
            self.post_feedforward_layernorm = norm()

    def forward(self, x, cache=None):
        if self.sandwich:  # Gemma 3: each sub-layer's output is normalised again before the residual
            x = x + self.post_attention_layernorm(self.self_attn(self.input_layernorm(x), cache))
            return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))
        x = x + self.self_attn(self.input_layernorm(x), cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.layers = nn.ModuleList(Block(cfg, kind) for kind in cfg["layer_types"])
        self.norm = RMSNorm(cfg["emb_dim"], cfg["norm_eps"], cfg["norm_unit_offset"])


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        self.lm_head = None if cfg["tie_embeddings"] else nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def hidden_states(self, ids, caches=None):
        """The final norm's output [b, T, emb], before the head and any soft-cap. caches: one LayerCache
        a layer (see new_caches); ids are then the tokens after the cached ones."""
        x = self.model.embed_tokens(ids)
        if self.cfg["scale_embeddings"]:
            x = x * math.sqrt(self.cfg["emb_dim"])
        for i, layer in enumerate(self.model.layers):
            x = layer(x, None if caches is None else caches[i])
        return self.model.norm(x)

    def forward(self, ids, caches=None):
        x = self.hidden_states(ids, caches)
        logits = x @ (self.model.embed_tokens.weight if self.lm_head is None else self.lm_head.weight).T
        cap = self.cfg.get("final_logit_softcap")
        return logits if cap is None else torch.tanh(logits / cap) * cap


def randomise_norms(model, generator):
    """Norm weights away from their neutral initial values, so that a norm applied wrongly shows."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
                param.add_(0.2 * torch.randn(param.shape, generator=generator))


def new_caches(model):
    return [LayerCache() for _ in model.model.layers]


def greedy_cached(model, prompt, new_tokens):
    """greedy() with a KV cache: after the prompt, each step runs only the newest token."""
    caches = new_caches(model)
    ids, fresh = prompt, prompt
    with torch.no_grad():
        for _ in range(new_tokens):
            nxt = model(fresh, caches)[:, -1].argmax(-1, keepdim=True)
            ids, fresh = torch.cat([ids, nxt], dim=1), nxt
    return ids


def greedy(model, prompt, new_tokens):
    ids = prompt
    with torch.no_grad():
        for _ in range(new_tokens):
            nxt = model(ids)[:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, nxt], dim=1)
    return ids
