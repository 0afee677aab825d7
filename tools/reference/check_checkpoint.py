"""Loads a scratchgpt checkpoint directory into the PyTorch reference model and checks its logits.

    /usr/bin/python3 tools/reference/check_checkpoint.py DIR [--inputs FILE] [--expected FILE]

DIR holds `config.json` (the book's keys or Hugging Face GPT-2's) and `model.safetensors` (book or
Hugging Face layout, the latter with or without the `transformer.` prefix; F32, F16 or BF16), each
detected. Input ids are `input_ids` from --inputs, else from the expected file, else a fixed
sequence. When DIR/expected.safetensors (or --expected) holds `logits`, the maximum absolute difference
is printed and the exit status is 1 above --tolerance (1e-4); `greedy_ids` with `prompt_ids` are checked
too. Without expected logits, a summary of the logits is printed. Errors exit 1 with one line."""

import argparse
import json
import sys
from pathlib import Path

import torch

import safetensors_io
from gpt import GPTModel, generate_text_simple, load_weights
from layouts import HF_PREFIX, book_config, hf_to_book

BOOK_KEYS = ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers")
HF_KEYS = ("vocab_size", "n_positions", "n_embd", "n_head", "n_layer")


class CheckpointError(Exception):
    pass


def read_config(path):
    if not path.is_file():
        raise CheckpointError(f"{path} not found: a checkpoint directory needs config.json")
    raw = json.loads(path.read_text())
    if all(key in raw for key in BOOK_KEYS):
        cfg = {key: raw[key] for key in BOOK_KEYS}
        cfg["drop_rate"] = raw.get("drop_rate", 0.0)
        cfg["qkv_bias"] = raw.get("qkv_bias", False)
        return cfg, "book"
    if all(key in raw for key in HF_KEYS):
        return book_config(raw), "hf"
    raise CheckpointError(
        f"{path} has neither the book's keys {list(BOOK_KEYS)} nor Hugging Face's {list(HF_KEYS)}"
    )


def detect_layout(names, path):
    if "tok_emb.weight" in names:
        return "book"
    if "wte.weight" in names or HF_PREFIX + "wte.weight" in names:
        return "hf"
    raise CheckpointError(f"{path} has neither tok_emb.weight (book) nor wte.weight (Hugging Face)")


def to_book(tensors, layout, cfg):
    """(book state dict, tied) from float32 tensors in either layout."""
    if layout == "hf":
        return hf_to_book(tensors, qkv_bias=cfg["qkv_bias"])
    book = {name: t for name, t in tensors.items() if not name.endswith(".att.mask")}
    tied = "out_head.weight" not in book
    if tied:
        book["out_head.weight"] = book["tok_emb.weight"]
    return book, tied


def load_checkpoint(directory):
    """(model in eval mode, description) for a checkpoint directory."""
    cfg, config_kind = read_config(directory / "config.json")
    weights_path = directory / "model.safetensors"
    if not weights_path.is_file():
        raise CheckpointError(f"{weights_path} not found")
    tensors = safetensors_io.load(weights_path)
    dtypes = sorted({safetensors_io.NAME_OF_DTYPE[t.dtype] for t in tensors.values()})
    tensors = {name: t.float() if t.is_floating_point() else t for name, t in tensors.items()}
    layout = detect_layout(tensors, weights_path)
    model = GPTModel({**cfg, "drop_rate": 0.0})
    try:
        book, tied = to_book(tensors, layout, cfg)
        if tied:
            model.tie_weights()
        load_weights(model, book)
    except KeyError as error:
        raise CheckpointError(f"{weights_path}: missing tensor {error.args[0]!r}") from None
    except ValueError as error:
        raise CheckpointError(f"{weights_path}: {error.args[0]}") from None
    description = {
        "config": config_kind,
        "layout": layout,
        "dtypes": dtypes,
        "tied": tied,
        **{key: cfg[key] for key in (*BOOK_KEYS, "qkv_bias")},
    }
    return model.eval(), description


def input_ids_for(args, expected, cfg):
    if args.inputs is not None:
        return safetensors_io.load(args.inputs)["input_ids"].long()
    if expected is not None and "input_ids" in expected:
        return expected["input_ids"].long()
    length = min(cfg["context_length"], 16)
    return (torch.arange(length) * 7919 % cfg["vocab_size"]).unsqueeze(0)  # [1, T], a fixed sequence


def check(args):
    model, description = load_checkpoint(args.checkpoint)
    print(json.dumps(description))
    expected_path = args.expected or args.checkpoint / "expected.safetensors"
    expected = safetensors_io.load(expected_path) if expected_path.is_file() else None
    ids = input_ids_for(args, expected, description)
    with torch.no_grad():
        logits = model(ids)
    if expected is None or "logits" not in expected:
        last = logits[:, -1, :]
        print(
            f"logits {list(logits.shape)}: mean {float(logits.mean()):.6f} std {float(logits.std()):.6f} "
            f"min {float(logits.min()):.6f} max {float(logits.max()):.6f}; "
            f"argmax at the last position {last.argmax(-1).tolist()}"
        )
        return 0
    reference = expected["logits"].float()
    if tuple(reference.shape) != tuple(logits.shape):
        raise CheckpointError(f"expected logits {list(reference.shape)}, computed {list(logits.shape)}")
    diff = float((logits - reference).abs().max())
    ok = diff <= args.tolerance
    verdict = "ok" if ok else "FAIL"
    print(f"logits {list(logits.shape)}: max abs diff {diff:.3e} ({verdict}, tolerance {args.tolerance:g})")
    if "prompt_ids" in expected and "greedy_ids" in expected:
        prompt, greedy = expected["prompt_ids"].long(), expected["greedy_ids"].long()
        generated = generate_text_simple(
            model, prompt, greedy.shape[1] - prompt.shape[1], description["context_length"]
        )
        same = torch.equal(generated, greedy)
        print(f"greedy ids: {'ok' if same else 'FAIL'} ({generated.shape[1] - prompt.shape[1]} new tokens)")
        ok = ok and same
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("checkpoint", type=Path, help="checkpoint directory")
    parser.add_argument("--inputs", type=Path, help="safetensors file holding input_ids [B, T] (I32/I64)")
    parser.add_argument("--expected", type=Path, help="default: DIR/expected.safetensors")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        return check(args)
    except (CheckpointError, OSError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
