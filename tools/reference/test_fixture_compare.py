"""Checks the fixture comparison of `make_fixtures.py --check` on files it writes: what each kind of
fixture lets through, and what it must refuse.

    /usr/bin/python3 tools/reference/test_fixture_compare.py
"""

import json
import sys
import tempfile
from pathlib import Path

import torch

import safetensors_io
from fixture_compare import compare_file
from verify_checks import expect, failures

LOGITS = "packages/gpt-model/fixtures/tiny/io.safetensors"
GRADS = "packages/gpt-model/fixtures/tiny/grads.safetensors"
FINAL = "packages/trainer/fixtures/adamw-gpt/final.safetensors"
LOSSES = "packages/trainer/fixtures/adamw-gpt/losses.json"
CONFIG = "packages/trainer/fixtures/adamw-gpt/config.json"
SPLIT = "packages/classifier/fixtures/sms-split/sms-split.json"


def compare(root, path, committed, fresh):
    """Writes both versions of one fixture file and compares them as `--check` does."""
    for side, content in (("committed", committed), ("fresh", fresh)):
        target = root / side / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".safetensors"):
            safetensors_io.save(target, content)
        else:
            target.write_text(json.dumps(content))
    if path == FINAL:  # the optimizer settings the zero-gradient tolerance comes from
        (root / "committed" / CONFIG).write_text(
            json.dumps({"steps": 10, "optimizer": {"lr": 0.001}, "zero_gradient": ["bias"]})
        )
    identical, differences = compare_file(Path(path), root / "fresh" / path, root / "committed" / path)
    return identical, all(d.within for d in differences), differences


def main():
    logits = torch.linspace(-13.0, 13.0, 320).reshape(2, 160)
    ids = torch.arange(6, dtype=torch.int32)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)

        same, ok, _ = compare(root, LOGITS, {"logits": logits, "ids": ids}, {"logits": logits, "ids": ids})
        expect(same and ok, "identical files: byte-identical")

        nudged = logits.clone()
        nudged[0, 0] += 1e-5  # 7.7e-7 of the largest logit, 13
        same, ok, found = compare(root, LOGITS, {"logits": logits}, {"logits": nudged})
        expect(not same and ok, "values: a round-off difference is within 1e-5 of the tensor's scale")
        expect(found[0].name == "logits" and 0 < found[0].share < 0.1, "values: the difference is reported")

        nudged[0, 0] += 1e-3
        _, ok, found = compare(root, LOGITS, {"logits": logits}, {"logits": nudged})
        expect(not ok and found[0].share > 1, "values: 1e-3 on a logit of 13 is refused")

        _, ok, _ = compare(root, LOGITS, {"ids": ids}, {"ids": ids + (ids == 5).int()})
        expect(not ok, "integers: any change is refused")

        _, ok, _ = compare(root, LOGITS, {"logits": logits}, {"logits": logits.double()})
        expect(not ok, "a changed dtype is refused")

        _, ok, _ = compare(root, LOGITS, {"logits": logits}, {"logits": logits, "extra": logits})
        expect(not ok, "a tensor more or less is refused")

        grads = {"big": torch.full((4,), 0.1), "zero": torch.full((4,), 5e-10)}
        noisy = {"big": grads["big"], "zero": torch.full((4,), -5e-10)}
        _, ok, _ = compare(root, GRADS, grads, noisy)
        expect(ok, "gradients: round-off around an exact zero is held to the file's largest gradient")
        _, ok, _ = compare(root, GRADS, grads, {"big": grads["big"] * 1.001, "zero": grads["zero"]})
        expect(not ok, "gradients: 0.1% on the largest gradient is refused")

        weights = {"weight": torch.full((4,), 0.3), "bias": torch.full((4,), 0.1)}
        _, ok, _ = compare(root, FINAL, weights, {"weight": weights["weight"] + 3e-5, "bias": weights["bias"] + 5e-3})
        expect(ok, "trajectories: 3e-5 on a weight, 5e-3 on a zero-gradient parameter (steps x lr = 1e-2)")
        _, ok, _ = compare(root, FINAL, weights, {"weight": weights["weight"] + 2e-4, "bias": weights["bias"]})
        expect(not ok, "trajectories: 2e-4 on a weight is refused")
        _, ok, _ = compare(root, FINAL, weights, {"weight": weights["weight"], "bias": weights["bias"] + 0.02})
        expect(not ok, "trajectories: a zero-gradient parameter beyond steps x lr is refused")

        _, ok, _ = compare(root, LOSSES, [5.9, 5.2], [5.9 + 1e-6, 5.2])
        expect(ok, "a list of losses: compared as numbers")
        _, ok, _ = compare(root, LOSSES, [5.9, 5.2], [5.9, 5.2, 4.8])
        expect(not ok, "a list of losses: one more step is refused")

        _, ok, _ = compare(root, SPLIT, {"train": [1, 2]}, {"train": [1, 3]})
        expect(not ok, "a fixture computed without BLAS (the SMS split) must be byte-identical")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
