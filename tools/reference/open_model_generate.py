"""Greedy continuation of token ids by the PyTorch reference decoder (open_models.py) loaded from a
Hugging Face checkpoint directory of Qwen3, Llama 3 or Gemma 3: config.json and model.safetensors, or
model.safetensors.index.json and its shards; F32, F16 or BF16 weights, computed in float32.

    /usr/bin/python3 tools/reference/open_model_generate.py DIR --ids 1,2,3 --new-tokens 20

Prints one JSON line: {"family", "promptTokenIds", "tokenIds"} (the new tokens only, no stop at
end-of-text). apps/node-gpu/bench/open-models-with-weights.mjs compares them with scratchgpt's.
"""

import argparse
import json
from pathlib import Path

import torch

import safetensors_io
from open_models import Decoder, greedy_cached


def gemma_layer_types(config, layers):
    given = config.get("layer_types")
    if given is not None:
        return ["sliding" if kind == "sliding_attention" else "full" for kind in given]
    return ["full" if (i + 1) % 6 == 0 else "sliding" for i in range(layers)]


def reference_config(config, context):
    """open_models.py's config for a Hugging Face config.json, with rotary tables of `context` positions."""
    family = config.get("model_type")
    heads = config["num_attention_heads"]
    layers = config["num_hidden_layers"]
    cfg = {
        "vocab_size": config["vocab_size"],
        "context_length": min(context, config["max_position_embeddings"]),
        "emb_dim": config["hidden_size"],
        "n_heads": heads,
        "n_kv_groups": config.get("num_key_value_heads", heads),
        "head_dim": config.get("head_dim") or config["hidden_size"] // heads,
        "hidden_dim": config["intermediate_size"],
        "layer_types": ["full"] * layers,
        "rope_base": config["rope_theta"],
        "rope_local_base": None,
        "rope_scaling": None,
        "sliding_window": None,
        "norm_eps": config["rms_norm_eps"],
        "norm_unit_offset": False,
        "sandwich_norms": False,
        "scale_embeddings": False,
        "activation": "silu",
        "qk_norm": False,
    }
    scaling = config.get("rope_scaling")
    if family == "qwen3":
        cfg.update(qk_norm=True, tie_embeddings=config.get("tie_word_embeddings", False))
    elif family == "llama":
        cfg["tie_embeddings"] = config.get("tie_word_embeddings", False)
        if scaling is not None:
            cfg["rope_scaling"] = {
                "factor": scaling["factor"],
                "low_freq_factor": scaling["low_freq_factor"],
                "high_freq_factor": scaling["high_freq_factor"],
                "original_context_length": scaling["original_max_position_embeddings"],
            }
    elif family == "gemma3_text":
        cfg.update(
            layer_types=gemma_layer_types(config, layers),
            qk_norm=True,
            rope_local_base=config["rope_local_base_freq"],
            sliding_window=config["sliding_window"],
            query_pre_attn_scalar=config["query_pre_attn_scalar"],
            final_logit_softcap=config.get("final_logit_softcapping"),
            norm_unit_offset=True,
            sandwich_norms=True,
            scale_embeddings=True,
            activation="gelu_tanh",
            tie_embeddings=config.get("tie_word_embeddings", True),
        )
        if scaling is not None:
            cfg["rope_scaling"] = {"rope_type": "linear", "factor": scaling["factor"]}
    else:
        raise SystemExit(f"error: config.json: model_type {family!r} is not qwen3, llama or gemma3_text")
    return family, cfg


def weight_files(directory):
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return [directory / shard for shard in shards]
    return [directory / "model.safetensors"]


def load_weights(model, directory, tied):
    state = {}
    for path in weight_files(directory):
        for name, tensor in safetensors_io.load(path).items():
            state[name] = tensor.float()
    if tied:
        state.pop("lm_head.weight", None)  # some tied checkpoints store the head anyway
    model.load_state_dict(state, strict=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--ids", required=True, help="prompt token ids, separated by commas")
    parser.add_argument("--new-tokens", type=int, default=20)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    prompt = [int(part) for part in args.ids.split(",")]
    config = json.loads((args.directory / "config.json").read_text())
    family, cfg = reference_config(config, len(prompt) + args.new_tokens)
    model = Decoder(cfg)
    load_weights(model, args.directory, cfg["tie_embeddings"])
    model.eval()
    ids = greedy_cached(model, torch.tensor([prompt]), args.new_tokens)
    print(json.dumps({"family": family, "promptTokenIds": prompt, "tokenIds": ids[0, len(prompt) :].tolist()}))


if __name__ == "__main__":
    main()
