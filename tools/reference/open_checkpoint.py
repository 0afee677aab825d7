"""Hugging Face checkpoints of the open families (Qwen3, Llama 3, Gemma 3) in and out of
open_models.py: config.json's fields as the reference's config, the weights by their published names
(one model.safetensors or shards under model.safetensors.index.json; F16/BF16 read as float32), and
back as config.json + one F32 model.safetensors with the tokenizer's files beside it."""

import json
import shutil

import safetensors_io
from open_models import Decoder

OPEN_MODEL_TYPES = ("qwen3", "llama", "gemma3_text")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json")
INDEX_FILE = "model.safetensors.index.json"


class OpenCheckpointError(Exception):
    pass


def is_open_model(config):
    return config.get("model_type") in OPEN_MODEL_TYPES


def reference_config(hf):
    """open_models.py's config of a Hugging Face config.json (the switches the families differ by)."""
    family = hf["model_type"]
    heads = hf["num_attention_heads"]
    layers = hf["num_hidden_layers"]
    cfg = {
        "vocab_size": hf["vocab_size"],
        "context_length": hf["max_position_embeddings"],
        "emb_dim": hf["hidden_size"],
        "n_heads": heads,
        "n_kv_groups": hf.get("num_key_value_heads") or heads,
        "head_dim": hf.get("head_dim") or hf["hidden_size"] // heads,
        "hidden_dim": hf["intermediate_size"],
        "layer_types": ["full"] * layers,
        "qk_norm": family != "llama",
        "rope_base": hf["rope_theta"],
        "rope_scaling": None,
        "rope_local_base": None,
        "sliding_window": None,
        "norm_eps": hf["rms_norm_eps"],
        "norm_unit_offset": False,
        "sandwich_norms": False,
        "scale_embeddings": False,
        "activation": "silu",
        "tie_embeddings": hf.get("tie_word_embeddings", family == "gemma3_text"),
    }
    if family == "llama" and hf.get("rope_scaling"):
        s = hf["rope_scaling"]
        if s.get("rope_type", s.get("type")) != "llama3":
            raise OpenCheckpointError(f"rope_scaling of type {s.get('rope_type')!r} is not supported, only 'llama3'")
        cfg["rope_scaling"] = {
            "factor": s["factor"],
            "low_freq_factor": s["low_freq_factor"],
            "high_freq_factor": s["high_freq_factor"],
            "original_context_length": s["original_max_position_embeddings"],
        }
    if family == "gemma3_text":
        if hf.get("rope_scaling"):
            raise OpenCheckpointError("Gemma 3: rope_scaling is not supported (the 270M and 1B models have none)")
        given = hf.get("layer_types")
        cfg.update(
            {
                "layer_types": [kind.removesuffix("_attention") for kind in given]
                if given
                else ["full" if (i + 1) % 6 == 0 else "sliding" for i in range(layers)],
                "rope_local_base": hf["rope_local_base_freq"],
                "sliding_window": hf["sliding_window"],
                "query_pre_attn_scalar": hf["query_pre_attn_scalar"],
                "final_logit_softcap": hf.get("final_logit_softcapping"),
                "norm_unit_offset": True,
                "sandwich_norms": True,
                "scale_embeddings": True,
                "activation": "gelu_tanh",
            }
        )
    return cfg


def read_weights(directory):
    """Every tensor of the checkpoint as float32, from one file or the shards its index names."""
    index = directory / INDEX_FILE
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        if any("/" in shard or shard.startswith(".") for shard in shards):
            raise OpenCheckpointError(f"{index}: a shard must be a plain file name")
    else:
        shards = ["model.safetensors"]
    tensors = {}
    for shard in shards:
        if not (directory / shard).is_file():
            raise OpenCheckpointError(f"{directory / shard} not found")
        tensors.update(safetensors_io.load(directory / shard))
    return {name: t.float() for name, t in tensors.items()}


def load_open_checkpoint(directory):
    """(model in eval mode, config.json as read, description) for an open-family checkpoint."""
    hf = json.loads((directory / "config.json").read_text())
    cfg = reference_config(hf)
    model = Decoder(cfg)
    tensors = read_weights(directory)
    if cfg["tie_embeddings"]:
        tensors.pop("lm_head.weight", None)  # some exports store the tied head as well
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        reason = " ".join(line.strip() for line in str(error).splitlines()[:2])
        raise OpenCheckpointError(f"{directory}: {reason}") from None
    description = {
        "model_type": hf["model_type"],
        "vocab_size": cfg["vocab_size"],
        "context_length": cfg["context_length"],
        "layers": len(cfg["layer_types"]),
        "tied": cfg["tie_embeddings"],
    }
    return model.eval(), hf, description


def open_checkpoint_files(model, hf, source):
    """{file name: writer} of the Hugging Face checkpoint of `model`: config.json (its dtype now
    float32), one F32 model.safetensors under the published names (a tied head stored once, as the
    embedding), and the tokenizer's files that `source` holds."""
    weights = {name: p.detach().float().contiguous() for name, p in model.state_dict().items()}
    files = {
        "model.safetensors": lambda path: safetensors_io.save(path, weights, {"format": "pt", "producer": "torch-ddp"}),
        "config.json": lambda path: path.write_text(json.dumps({**hf, "torch_dtype": "float32"}, indent=2) + "\n"),
    }
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            files[name] = lambda path, name=name: shutil.copyfile(source / name, path)
    return files
