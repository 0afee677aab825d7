"""A checkpoint of GPT-2 124M's exact shapes with random weights, in the Hugging Face layout (what
openai-community/gpt2 holds: config.json + model.safetensors, head tied to wte, query/key/value
biases), for checks that need a model of that size where the real weights cannot be downloaded.

    /usr/bin/python3 tools/reference/random_gpt2.py OUT_DIR [--size gpt2-small]
"""

import argparse
import json
from pathlib import Path

import torch

import safetensors_io
from gpt import GPT_CONFIG_124M, GPTModel, weights
from layouts import book_to_hf, hf_config

SIZES = {
    "gpt2-small": {"emb_dim": 768, "n_heads": 12, "n_layers": 12},
    "gpt2-medium": {"emb_dim": 1024, "n_heads": 16, "n_layers": 24},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", choices=SIZES, default="gpt2-small")
    args = parser.parse_args()
    torch.manual_seed(123)
    config = {**GPT_CONFIG_124M, **SIZES[args.size], "qkv_bias": True}
    model = GPTModel(config)
    model.tie_weights()
    args.out.mkdir(parents=True, exist_ok=True)
    safetensors_io.save(args.out / "model.safetensors", book_to_hf(weights(model), tied=True), {"format": "pt"})
    (args.out / "config.json").write_text(json.dumps(hf_config(config, tied=True), indent=2) + "\n")
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters()), "out": str(args.out)}))


if __name__ == "__main__":
    main()
