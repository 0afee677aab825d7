"""The book's GPT model in PyTorch, the behavioural reference scratchgpt is tested against.

Module and parameter names match the book's, so `state_dict()` yields the book checkpoint layout:
tok_emb, pos_emb, trf_blocks.{i}.(att.W_query|W_key|W_value|out_proj, ff.layers.0|2, norm1, norm2),
final_norm, out_head. Modules are created in the book's order, so a seed gives the book's weights."""

import math

import torch
from torch import nn

# The config keys the book uses (chapter 4), with GPT-2 small's values.
GPT_CONFIG_124M = {
    "vocab_size": 50257,
    "context_length": 1024,
    "emb_dim": 768,
    "n_heads": 12,
    "n_layers": 12,
    "drop_rate": 0.1,
    "qkv_bias": False,
}


class MultiHeadAttention(nn.Module):
    """Causal multi-head self-attention with one projection per role, split into heads."""

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"d_out {d_out} is not divisible by num_heads {num_heads}")
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        # 1 above the diagonal marks the future positions a token may not attend to.
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def _heads(self, x, b, num_tokens):
        # [b, T, d_out] -> [b, T, heads, head_dim] -> [b, heads, T, head_dim]
        return x.view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x):
        b, num_tokens, _ = x.shape
        keys = self._heads(self.W_key(x), b, num_tokens)
        queries = self._heads(self.W_query(x), b, num_tokens)
        values = self._heads(self.W_value(x), b, num_tokens)

        scores = queries @ keys.transpose(2, 3)  # [b, heads, T, T]
        future = self.mask.bool()[:num_tokens, :num_tokens]
        scores.masked_fill_(future, -torch.inf)
        weights = torch.softmax(scores / keys.shape[-1] ** 0.5, dim=-1)
        weights = self.dropout(weights)

        context = (weights @ values).transpose(1, 2)  # [b, T, heads, head_dim]
        context = context.contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context)


class LayerNorm(nn.Module):
    """Normalises the last dimension with the biased variance, then applies `scale` and `shift`."""

    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * ((x - mean) / torch.sqrt(var + self.eps)) + self.shift


class GELU(nn.Module):
    """The tanh approximation of GELU that GPT-2 was trained with."""

    def forward(self, x):
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))
        return 0.5 * x * (1 + torch.tanh(inner))


class FeedForward(nn.Module):
    """emb -> 4·emb -> GELU -> emb; the Sequential indices 0 and 2 name the two Linear layers."""

    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(cfg["emb_dim"], 4 * cfg["emb_dim"]),
            GELU(),
            nn.Linear(4 * cfg["emb_dim"], cfg["emb_dim"]),
        )

    def forward(self, x):
        return self.layers(x)


class TransformerBlock(nn.Module):
    """Pre-norm block: x + drop(att(norm1(x))), then x + drop(ff(norm2(x)))."""

    def __init__(self, cfg):
        super().__init__()
        self.att = MultiHeadAttention(
            d_in=cfg["emb_dim"],
            d_out=cfg["emb_dim"],
            context_length=cfg["context_length"],
            dropout=cfg["drop_rate"],
            num_heads=cfg["n_heads"],
            qkv_bias=cfg["qkv_bias"],
        )
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x):
        x = x + self.drop_shortcut(self.att(self.norm1(x)))
        return x + self.drop_shortcut(self.ff(self.norm2(x)))


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def tie_weights(self):
        """Share one matrix between the token embedding and the output head (GPT-2's weight tying)."""
        self.out_head.weight = self.tok_emb.weight

    @property
    def tied(self):
        return self.out_head.weight is self.tok_emb.weight

    def forward(self, in_idx):
        _, seq_len = in_idx.shape
        positions = torch.arange(seq_len, device=in_idx.device)
        x = self.tok_emb(in_idx) + self.pos_emb(positions)  # [b, T, emb]
        x = self.drop_emb(x)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)  # [b, T, vocab]


def weights(model):
    """The model's state dict in the book layout without the causal-mask buffers (they are not
    weights); a tied model lists `out_head.weight` too, equal to `tok_emb.weight`."""
    return {name: tensor for name, tensor in model.state_dict().items() if not name.endswith(".att.mask")}


def load_weights(model, state):
    """Loads a book-layout state (no mask buffers needed); every weight must be present and match."""
    expected = weights(model)
    missing = [name for name in expected if name not in state]
    extra = [name for name in state if name not in expected]
    if missing or extra:
        raise ValueError(f"the weights do not fit the model: missing {missing}, unexpected {extra}")
    with torch.no_grad():
        for name, tensor in expected.items():
            if tuple(state[name].shape) != tuple(tensor.shape):
                raise ValueError(
                    f"tensor '{name}' has shape {list(state[name].shape)}, expected {list(tensor.shape)}"
                )
        for name, tensor in expected.items():
            if model.tied and name == "out_head.weight":
                continue  # the shared matrix is loaded once, through tok_emb.weight
            tensor.copy_(state[name].to(tensor.dtype))


def generate_text_simple(model, idx, max_new_tokens, context_size):
    """Greedy decoding: append the most likely next token, feeding at most `context_size` tokens."""
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        last = logits[:, -1, :]  # [b, vocab]
        probas = torch.softmax(last, dim=-1)
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)  # [b, 1]
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


def generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None, eos_id=None):
    """Decoding with optional top-k filtering and temperature sampling (greedy when temperature is 0);
    stops early when every sequence in the batch produced `eos_id` at the same step."""
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]
        if top_k is not None:
            top_logits, _ = torch.topk(logits, top_k)
            kth = top_logits[:, -1:]  # [b, 1], the smallest logit still kept
            logits = torch.where(logits < kth, torch.tensor(-torch.inf, device=logits.device), logits)
        if temperature > 0.0:
            probs = torch.softmax(logits / temperature, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
        else:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)
        if eos_id is not None and bool((idx_next == eos_id).all()):
            break
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
