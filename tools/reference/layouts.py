"""Conversion between the book's checkpoint layout and Hugging Face GPT-2's.

Hugging Face GPT-2 stores its projections as Conv1D weights, [in, out] (the transpose of a PyTorch
Linear's [out, in]), and fuses the query, key and value projections into one `c_attn` whose output
columns are query | key | value. Its layer norms call their parameters weight/bias (the book: scale/shift)
and its output head is tied to `wte` unless `lm_head.weight` is present."""

import re

import torch

HF_PREFIX = "transformer."
# Buffers some Hugging Face checkpoints carry that are not weights.
HF_BUFFERS = re.compile(r"^h\.\d+\.attn\.(bias|masked_bias)$")


def count_layers(names, pattern):
    indices = {int(match.group(1)) for name in names if (match := re.match(pattern, name))}
    if indices != set(range(len(indices))):
        raise ValueError(f"layer indices {sorted(indices)} are not 0..n-1")
    return len(indices)


def book_to_hf(book, tied):
    """Hugging Face GPT-2 tensors from a book state dict. A book model without qkv bias gets a zero
    `c_attn.bias` (Hugging Face's GPT-2 always has one). With `tied`, `lm_head.weight` is left out and
    the book's `out_head.weight`, if present, must equal `tok_emb.weight`."""
    n_layers = count_layers(book, r"^trf_blocks\.(\d+)\.")
    emb_dim = book["tok_emb.weight"].shape[1]
    hf = {"wte.weight": book["tok_emb.weight"], "wpe.weight": book["pos_emb.weight"]}
    for i in range(n_layers):
        b = f"trf_blocks.{i}."
        h = f"h.{i}."
        q, k, v = (book[f"{b}att.{role}.weight"] for role in ("W_query", "W_key", "W_value"))
        if f"{b}att.W_query.bias" in book:
            qkv_bias = torch.cat([book[f"{b}att.{role}.bias"] for role in ("W_query", "W_key", "W_value")])
        else:
            qkv_bias = torch.zeros(3 * emb_dim, dtype=q.dtype)
        hf[f"{h}ln_1.weight"] = book[f"{b}norm1.scale"]
        hf[f"{h}ln_1.bias"] = book[f"{b}norm1.shift"]
        hf[f"{h}attn.c_attn.weight"] = torch.cat([q.t(), k.t(), v.t()], dim=1)  # [emb, 3·emb]
        hf[f"{h}attn.c_attn.bias"] = qkv_bias
        hf[f"{h}attn.c_proj.weight"] = book[f"{b}att.out_proj.weight"].t()
        hf[f"{h}attn.c_proj.bias"] = book[f"{b}att.out_proj.bias"]
        hf[f"{h}ln_2.weight"] = book[f"{b}norm2.scale"]
        hf[f"{h}ln_2.bias"] = book[f"{b}norm2.shift"]
        hf[f"{h}mlp.c_fc.weight"] = book[f"{b}ff.layers.0.weight"].t()  # [emb, 4·emb]
        hf[f"{h}mlp.c_fc.bias"] = book[f"{b}ff.layers.0.bias"]
        hf[f"{h}mlp.c_proj.weight"] = book[f"{b}ff.layers.2.weight"].t()  # [4·emb, emb]
        hf[f"{h}mlp.c_proj.bias"] = book[f"{b}ff.layers.2.bias"]
    hf["ln_f.weight"] = book["final_norm.scale"]
    hf["ln_f.bias"] = book["final_norm.shift"]
    if tied:
        head = book.get("out_head.weight")
        if head is not None and not torch.equal(head, book["tok_emb.weight"]):
            raise ValueError("tied=True but out_head.weight differs from tok_emb.weight")
    else:
        hf["lm_head.weight"] = book["out_head.weight"]
    return {name: tensor.contiguous() for name, tensor in hf.items()}


def strip_hf(hf):
    """Hugging Face tensors without the optional `transformer.` prefix and the attention buffers."""
    out = {}
    for name, tensor in hf.items():
        if name.startswith(HF_PREFIX):
            name = name[len(HF_PREFIX) :]
        if not HF_BUFFERS.match(name):
            out[name] = tensor
    return out


def hf_to_book(hf, qkv_bias=True):
    """(book state dict, tied) from Hugging Face GPT-2 tensors. With `qkv_bias=False` the fused
    `c_attn.bias` must be all zeros and is dropped. Without `lm_head.weight` the model is tied and the
    book's `out_head.weight` is `tok_emb.weight`."""
    hf = strip_hf(hf)
    used = set()

    def get(name):
        used.add(name)
        return hf[name]

    n_layers = count_layers(hf, r"^h\.(\d+)\.")
    book = {"tok_emb.weight": get("wte.weight"), "pos_emb.weight": get("wpe.weight")}
    for i in range(n_layers):
        b = f"trf_blocks.{i}."
        h = f"h.{i}."
        q, k, v = get(f"{h}attn.c_attn.weight").chunk(3, dim=1)  # each [emb, emb], Conv1D [in, out]
        bq, bk, bv = get(f"{h}attn.c_attn.bias").chunk(3)
        book[f"{b}att.W_query.weight"] = q.t()
        book[f"{b}att.W_key.weight"] = k.t()
        book[f"{b}att.W_value.weight"] = v.t()
        if qkv_bias:
            book[f"{b}att.W_query.bias"] = bq
            book[f"{b}att.W_key.bias"] = bk
            book[f"{b}att.W_value.bias"] = bv
        elif bool(get(f"{h}attn.c_attn.bias").any()):
            raise ValueError(f"{h}attn.c_attn.bias is not zero but the config says qkv_bias is false")
        book[f"{b}att.out_proj.weight"] = get(f"{h}attn.c_proj.weight").t()
        book[f"{b}att.out_proj.bias"] = get(f"{h}attn.c_proj.bias")
        book[f"{b}ff.layers.0.weight"] = get(f"{h}mlp.c_fc.weight").t()
        book[f"{b}ff.layers.0.bias"] = get(f"{h}mlp.c_fc.bias")
        book[f"{b}ff.layers.2.weight"] = get(f"{h}mlp.c_proj.weight").t()
        book[f"{b}ff.layers.2.bias"] = get(f"{h}mlp.c_proj.bias")
        book[f"{b}norm1.scale"] = get(f"{h}ln_1.weight")
        book[f"{b}norm1.shift"] = get(f"{h}ln_1.bias")
        book[f"{b}norm2.scale"] = get(f"{h}ln_2.weight")
        book[f"{b}norm2.shift"] = get(f"{h}ln_2.bias")
    book["final_norm.scale"] = get("ln_f.weight")
    book["final_norm.shift"] = get("ln_f.bias")
    tied = "lm_head.weight" not in hf
    book["out_head.weight"] = get("wte.weight") if tied else get("lm_head.weight")
    unexpected = sorted(set(hf) - used)
    if unexpected:
        raise ValueError(f"unexpected tensors in a Hugging Face GPT-2 checkpoint: {unexpected}")
    return {name: tensor.contiguous() for name, tensor in book.items()}, tied


def hf_config(cfg, tied):
    """A Hugging Face GPT-2 config.json for a book config."""
    hf = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": cfg["vocab_size"],
        "n_positions": cfg["context_length"],
        "n_embd": cfg["emb_dim"],
        "n_head": cfg["n_heads"],
        "n_layer": cfg["n_layers"],
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "embd_pdrop": cfg["drop_rate"],
        "attn_pdrop": cfg["drop_rate"],
        "resid_pdrop": cfg["drop_rate"],
        "tie_word_embeddings": tied,
    }
    if not cfg["qkv_bias"]:
        hf["qkv_bias"] = False
    return hf


def book_config(hf, drop_rate=None):
    """A book config from a Hugging Face GPT-2 config.json. GPT-2 has qkv bias unless the config says
    `"qkv_bias": false`; the dropout is the config's `resid_pdrop` (0.1 when absent) unless given."""
    if drop_rate is None:
        drop_rate = hf.get("resid_pdrop", 0.1)
    return {
        "vocab_size": hf["vocab_size"],
        "context_length": hf["n_positions"],
        "emb_dim": hf["n_embd"],
        "n_heads": hf["n_head"],
        "n_layers": hf["n_layer"],
        "drop_rate": drop_rate,
        "qkv_bias": hf.get("qkv_bias", True),
    }
