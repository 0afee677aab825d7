"""Compares a freshly generated fixture file with the committed one, within its kind's tolerance
(tolerances.py): safetensors tensor by tensor, a JSON list of numbers as one tensor, anything else
byte for byte."""

import json
from dataclasses import dataclass

import torch

import safetensors_io
from tolerances import kind_of, largest_difference, noise_driven

ZERO_GRADIENT = "trajectories, zero-gradient parameters"


@dataclass
class Difference:
    """One figure of a file (a tensor, a list, or the file's bytes) against the committed one."""

    path: str
    kind: str
    name: str
    difference: float
    tolerance: float
    reason: str = ""

    @property
    def within(self):
        return not self.reason and self.difference <= self.tolerance

    @property
    def share(self):
        """The difference as a share of its tolerance (0 where both are zero)."""
        if self.difference == 0 and not self.reason:
            return 0.0
        return self.difference / self.tolerance if self.tolerance else float("inf")


def compare_file(relative, fresh_path, committed_path):
    """(byte-identical, [Difference of each figure that is not bit-identical])."""
    fresh_bytes, committed_bytes = fresh_path.read_bytes(), committed_path.read_bytes()
    if fresh_bytes == committed_bytes:
        return True, []
    kind, path = kind_of(relative), str(relative)
    if kind != "exact" and relative.suffix == ".safetensors":
        return False, _compare_tensors(path, kind, fresh_bytes, committed_bytes, committed_path.parent / "config.json")
    if kind != "exact" and relative.suffix == ".json":
        return False, _compare_number_lists(path, kind, fresh_bytes, committed_bytes)
    return False, [Difference(path, kind, "(bytes)", float("inf"), 0.0, "bytes differ")]


def _compare_tensors(path, kind, fresh_bytes, committed_bytes, config_path):
    fresh, fresh_metadata = safetensors_io.parse(fresh_bytes, "the fresh " + path)
    committed, committed_metadata = safetensors_io.parse(committed_bytes, path)
    if fresh.keys() != committed.keys():
        names = ", ".join(sorted(fresh.keys() ^ committed.keys()))
        return [Difference(path, kind, "(names)", float("inf"), 0.0, f"tensors differ: {names}")]
    if fresh_metadata != committed_metadata:
        return [Difference(path, kind, "(metadata)", float("inf"), 0.0, "metadata differs")]
    magnitudes = [t.double().abs() for t in committed.values() if t.is_floating_point()]
    file_scale = max((float(m[torch.isfinite(m)].max()) for m in magnitudes if bool(torch.isfinite(m).any())), default=0.0)
    noisy = noise_driven(config_path) if kind == "trajectories" else {}
    differences = []
    for name, tensor in committed.items():
        if torch.equal(fresh[name], tensor) and fresh[name].dtype == tensor.dtype:
            continue
        difference, tolerance = largest_difference(
            fresh[name],
            tensor,
            kind,
            file_scale=file_scale,
            absolute=noisy.get(name),
        )
        label = ZERO_GRADIENT if name in noisy else kind
        reason = "" if difference != float("inf") else "dtype, shape or non-finite values differ"
        differences.append(Difference(path, label, name, difference, tolerance, reason))
    return differences


def _compare_number_lists(path, kind, fresh_bytes, committed_bytes):
    fresh, committed = json.loads(fresh_bytes), json.loads(committed_bytes)
    lists = all(isinstance(x, list) and all(isinstance(v, (int, float)) for v in x) for x in (fresh, committed))
    if not lists or len(fresh) != len(committed):
        return [Difference(path, kind, "(json)", float("inf"), 0.0, "differs, and is not a list of numbers")]
    as_tensor = lambda values: torch.tensor(values, dtype=torch.float64)  # noqa: E731
    difference, tolerance = largest_difference(as_tensor(fresh), as_tensor(committed), kind)
    return [Difference(path, kind, "(list)", difference, tolerance)]
