"""Regenerates every PyTorch parity fixture of the repository, deterministically.

    /usr/bin/python3 tools/reference/make_fixtures.py            # writes the fixtures in place
    /usr/bin/python3 tools/reference/make_fixtures.py --check    # regenerates elsewhere, compares within tolerances
    /usr/bin/python3 tools/reference/make_fixtures.py --out DIR  # writes under DIR instead of the repo
"""

import argparse
import sys
import tempfile
from pathlib import Path

import torch

from fixture_compare import compare_file
from fixture_models import SPECS
from fixtures_classify import write_classifier_gpt, write_lora_classifier, write_random_state, write_sms_split
from fixtures_classify_open import BACKBONES, write_open_classifier
from fixtures_attention import write_chapter3
from fixtures_chat_templates import write_chat_templates
from fixtures_dpo import write_dpo, write_dpo_lora
from fixtures_hub import write_hub_model
from fixtures_instruct import write_chapter7
from fixtures_model import write_model_fixture
from fixtures_open_models import FAMILIES, write_open_model
from fixtures_recipe import write_schedule, write_tiny_training
from fixtures_trainer import write_adamw_gpt, write_adamw_plain, write_clip, write_cross_entropy

REPO = Path(__file__).resolve().parents[2]
ATTENTION_FIXTURES = Path("packages/attention/fixtures")
MODEL_FIXTURES = Path("packages/gpt-model/fixtures")
TRAINER_FIXTURES = Path("packages/trainer/fixtures")
HUB_FIXTURES = Path("packages/hub/fixtures")
TENSOR_FIXTURES = Path("packages/tensor/fixtures")
CLASSIFIER_FIXTURES = Path("packages/classifier/fixtures")
SMS_DATA = REPO / "data" / "sms-spam-collection.tsv"
INSTRUCT_FIXTURES = Path("packages/instruct/fixtures")
OPEN_MODEL_FIXTURES = Path("packages/open-models/fixtures")
TOKENIZER_FIXTURES = Path("packages/tokenizer/fixtures")


def make_deterministic():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)


def generate(root):
    """Writes all fixtures under `root`; returns {fixture directory: summary figures}."""
    summary = {ATTENTION_FIXTURES / "chapter3": write_chapter3(root / ATTENTION_FIXTURES / "chapter3")}
    for name in SPECS:
        summary[MODEL_FIXTURES / name] = write_model_fixture(name, root / MODEL_FIXTURES / name)
    trainer = {
        "adamw-gpt": write_adamw_gpt,
        "adamw-plain": write_adamw_plain,
        "cross-entropy": write_cross_entropy,
        "clip": write_clip,
        "schedule": write_schedule,
        "tiny-training": write_tiny_training,
    }
    for name, write in trainer.items():
        summary[TRAINER_FIXTURES / name] = write(root / TRAINER_FIXTURES / name)
    summary[HUB_FIXTURES / "tiny-gpt2"] = write_hub_model(root / HUB_FIXTURES / "tiny-gpt2")
    summary[TENSOR_FIXTURES / "random-state"] = write_random_state(root / TENSOR_FIXTURES / "random-state")
    classifier = {
        "sms-split": lambda out: write_sms_split(out, SMS_DATA),
        "classifier-gpt": write_classifier_gpt,
        "lora-classifier": write_lora_classifier,
    }
    for name, write in classifier.items():
        summary[CLASSIFIER_FIXTURES / name] = write(root / CLASSIFIER_FIXTURES / name)
    for name in BACKBONES:
        summary[CLASSIFIER_FIXTURES / name] = write_open_classifier(name, root / CLASSIFIER_FIXTURES / name)
    summary[INSTRUCT_FIXTURES / "chapter7"] = write_chapter7(root / INSTRUCT_FIXTURES / "chapter7")
    summary[TOKENIZER_FIXTURES / "chat-templates"] = write_chat_templates(root / TOKENIZER_FIXTURES / "chat-templates")
    summary[INSTRUCT_FIXTURES / "dpo"] = {
        **write_dpo(root / INSTRUCT_FIXTURES / "dpo"),
        **write_dpo_lora(root / INSTRUCT_FIXTURES / "dpo"),
    }
    for name in FAMILIES:
        summary[OPEN_MODEL_FIXTURES / name] = write_open_model(name, root / OPEN_MODEL_FIXTURES / name)
    return summary


def fixture_files(root, summary):
    """Every file under the fixture folders (packages/*/fixtures) that `summary` writes into, so that
    a stale fixture no generator writes any more is noticed too."""
    folders = sorted({directory.parent for directory in summary})
    return sorted(
        path.relative_to(root) for folder in folders for path in (root / folder).rglob("*") if path.is_file()
    )


def print_summary(root, summary):
    total = 0
    for directory, figures in summary.items():
        files = sorted(path for path in (root / directory).iterdir() if path.is_file())
        size = sum(path.stat().st_size for path in files)
        total += size
        shown = ", ".join(f"{key} {value:.6g}" for key, value in figures.items())
        print(f"{directory}: {len(files)} files, {size / 1024:.0f} KiB; {shown}")
    print(f"total {total / 1024 / 1024:.2f} MiB")


def check(committed_root, fresh_root, summary):
    """Compares freshly generated fixtures with those in the repository, each within the tolerance of
    its kind (tolerances.py); prints the largest difference of each kind."""
    fresh = fixture_files(fresh_root, summary)
    committed = fixture_files(committed_root, summary)
    missing = [str(p) for p in fresh if p not in committed]
    extra = [str(p) for p in committed if p not in fresh]
    identical, differences = 0, []
    for path in (p for p in fresh if p in committed):
        same, found = compare_file(path, fresh_root / path, committed_root / path)
        identical += same
        differences += found
    compared = len(fresh) - len(missing)
    others = "" if identical == compared else "; largest difference of each kind in the others:"
    print(f"{identical} of {compared} files byte-identical to a fresh run{others}")
    for kind in sorted({d.kind for d in differences}):
        worst = max((d for d in differences if d.kind == kind), key=lambda d: d.share)
        print(
            f"  {kind}: largest difference {worst.difference:.2g} ({worst.share:.2g} of the {worst.tolerance:.2g} "
            f"allowed) in {worst.path} {worst.name}"
        )
    failed = [d for d in differences if not d.within]
    for d in failed:
        detail = d.reason or f"differs by {d.difference:.3g}, above the {d.tolerance:.3g} allowed ({d.kind})"
        print(f"differs: {d.path} {d.name}: {detail}")
    for label, paths in (("missing", missing), ("not generated", extra)):
        for path in paths:
            print(f"{label}: {path}")
    return not (failed or missing or extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO, help="root to write under (default: the repo)")
    parser.add_argument("--check", action="store_true", help="verify the fixtures under --out are current")
    args = parser.parse_args()
    make_deterministic()
    if not args.check:
        summary = generate(args.out)
        print_summary(args.out, summary)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        summary = generate(Path(scratch))
        if check(args.out, Path(scratch), summary):
            print(f"fixtures under {args.out} are reproduced by a fresh run")
            return 0
    print("fixtures are stale: run /usr/bin/python3 tools/reference/make_fixtures.py", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
