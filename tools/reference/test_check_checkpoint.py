"""Runs check_checkpoint.py on checkpoint directories assembled from the model fixtures, in every
layout and dtype, and on broken ones that must fail.

    /usr/bin/python3 tools/reference/test_check_checkpoint.py
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

import safetensors_io
from fixture_models import SPECS

HERE = Path(__file__).resolve().parent
MODELS = HERE.parents[1] / "packages/gpt-model/fixtures"
failures = []


def run(directory, *extra):
    command = [sys.executable, str(HERE / "check_checkpoint.py"), str(directory), *extra]
    return subprocess.run(command, capture_output=True, text=True)


def expect_run(label, directory, status, needle, *extra):
    result = run(directory, *extra)
    output = result.stdout + result.stderr
    ok = result.returncode == status and needle in output
    last_line = output.strip().splitlines()[-1]
    print(("ok   " if ok else "FAIL ") + f"{label}: exit {result.returncode}; {last_line}")
    if not ok:
        failures.append(label)
        print(output)


def checkpoint(root, label, config, weights, expected=None):
    """A checkpoint directory: config.json, model.safetensors and, if given, expected.safetensors."""
    directory = root / label
    directory.mkdir()
    shutil.copy(config, directory / "config.json")
    if isinstance(weights, dict):
        safetensors_io.save(directory / "model.safetensors", weights)
    else:
        shutil.copy(weights, directory / "model.safetensors")
    if expected is not None:
        safetensors_io.save(directory / "expected.safetensors", expected)
    return directory


def layouts(root):
    for name in SPECS:
        fixture = MODELS / name
        io = safetensors_io.load(fixture / "io.safetensors")
        ok = "max abs diff"
        hf = checkpoint(root, f"{name}-hf", fixture / "config.hf.json", fixture / "hf.safetensors", io)
        expect_run(f"{name} HF layout, HF config", hf, 0, ok)
        book = checkpoint(root, f"{name}-book", fixture / "config.json", fixture / "book.safetensors", io)
        expect_run(f"{name} book layout, book config", book, 0, ok)
        prefixed = {
            f"transformer.{n}" if not n.startswith("lm_head") else n: t
            for n, t in safetensors_io.load(fixture / "hf.safetensors").items()
        }
        mixed = checkpoint(root, f"{name}-prefixed", fixture / "config.json", prefixed, io)
        expect_run(f"{name} HF layout with transformer. prefix, book config", mixed, 0, ok)
        bare = checkpoint(root, f"{name}-bare", fixture / "config.hf.json", fixture / "hf.safetensors")
        expect_run(f"{name} summary without expected logits", bare, 0, "argmax")
        inputs = ("--inputs", str(fixture / "io.safetensors"))
        expect_run(f"{name} --inputs", bare, 0, "logits [2, 16, 320]", *inputs)


def half_precision(root):
    fixture = MODELS / "tiny-qkvbias-untied"
    io = safetensors_io.load(fixture / "io.safetensors")
    f16 = checkpoint(
        root, "f16", fixture / "config.hf.json", fixture / "hf.f16.safetensors",
        {"input_ids": io["input_ids"], "logits": io["logits_f16"]},
    )
    expect_run("F16 HF weights against logits_f16", f16, 0, "max abs diff")
    bf16 = checkpoint(
        root, "bf16", fixture / "config.json", fixture / "book.bf16.safetensors",
        {"input_ids": io["input_ids"], "logits": io["logits_bf16"]},
    )
    expect_run("BF16 book weights against logits_bf16", bf16, 0, "max abs diff")
    bf16_weights = fixture / "book.bf16.safetensors"
    stale = checkpoint(root, "bf16-vs-f32", fixture / "config.json", bf16_weights, io)
    expect_run("BF16 weights against the F32 logits fail", stale, 1, "FAIL")


def broken(root):
    fixture = MODELS / "tiny-qkvbias-untied"
    io = safetensors_io.load(fixture / "io.safetensors")
    weights = safetensors_io.load(fixture / "book.safetensors")
    nudged = {**weights, "final_norm.shift": weights["final_norm.shift"] + 1e-3}
    wrong = checkpoint(root, "nudged", fixture / "config.json", nudged, io)
    expect_run("a nudged shift fails", wrong, 1, "FAIL")
    missing = {n: t for n, t in weights.items() if n != "trf_blocks.1.norm2.scale"}
    gone = checkpoint(root, "missing", fixture / "config.json", missing, io)
    expect_run("a missing tensor is named", gone, 1, "trf_blocks.1.norm2.scale")
    reshaped = {**weights, "pos_emb.weight": torch.zeros(12, 48)}
    bad = checkpoint(root, "reshaped", fixture / "config.json", reshaped, io)
    expect_run("a mis-shaped tensor is named", bad, 1, "pos_emb.weight")
    book_config = json.loads((fixture / "config.json").read_text())
    (root / "noqkv.json").write_text(json.dumps({**book_config, "qkv_bias": False}))
    biased = checkpoint(root, "qkv-mismatch", root / "noqkv.json", fixture / "book.safetensors", io)
    expect_run("qkv biases with qkv_bias false are refused", biased, 1, "W_query.bias")
    hf_no_bias = MODELS / "tiny-noqkvbias-untied/config.hf.json"
    nonzero = checkpoint(root, "nonzero-bias", hf_no_bias, fixture / "hf.safetensors", io)
    expect_run("non-zero c_attn.bias with qkv_bias false", nonzero, 1, "c_attn.bias is not zero")
    hf = safetensors_io.load(fixture / "hf.safetensors")
    padded = {**hf, "h.0.attn.extra": torch.zeros(2)}
    extra = checkpoint(root, "extra", fixture / "config.hf.json", padded, io)
    expect_run("an unexpected tensor is named", extra, 1, "h.0.attn.extra")
    buffers = {**hf, "h.0.attn.bias": torch.ones(1, 1, 24, 24), "h.1.attn.masked_bias": torch.ones(())}
    buffered = checkpoint(root, "buffers", fixture / "config.hf.json", buffers, io)
    expect_run("attention buffers are ignored", buffered, 0, "max abs diff")


def main():
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        layouts(root)
        half_precision(root)
        broken(root)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
