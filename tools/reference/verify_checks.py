"""What the fixture checks share: the pass/fail record, comparisons, and the book model loaded from a
state (verify_fixtures.py runs every check)."""

from pathlib import Path

import torch

from gpt import GPTModel, load_weights
from tolerances import largest_difference

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "packages/gpt-model/fixtures"
TRAINER = REPO / "packages/trainer/fixtures"
ATTENTION = REPO / "packages/attention/fixtures"
failures = []


def expect(ok, message):
    print(("ok   " if ok else "FAIL ") + message)
    if not ok:
        failures.append(message)


def max_diff(a, b):
    return float((a.double() - b.double()).abs().max())


def within_values(computed, stored):
    """A forward computation against its fixture, within the tolerance for values (tolerances.py): the
    products go through BLAS, whose kernel sets round differently."""
    difference, tolerance = largest_difference(computed, stored, "values")
    return difference <= tolerance


def same_tensors(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)


def book_model(cfg, tied, state, dtype=torch.float32):
    model = GPTModel(cfg).to(dtype)
    if tied:
        model.tie_weights()
    load_weights(model, {name: tensor.to(dtype) for name, tensor in state.items()})
    return model.eval()
