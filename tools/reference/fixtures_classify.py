"""Classification and LoRA fixtures: NumPy's RandomState draws, the book's SMS sample and split, and a
small GPT with a class head (logits, loss, accuracy, ten AdamW steps with the book's frozen/trainable
split, ten LoRA steps and the merged weights)."""

import hashlib
import json

import numpy as np
import torch

import safetensors_io
from classify import (
    balanced_rows,
    batch_loss,
    class_logits,
    correct_predictions,
    random_split,
    read_labelled_tsv,
    replace_head,
    set_trainable,
)
from fixture_models import build, config_of
from fixtures_trainer import json_metadata, write_json
from gpt import weights
from lora import lora_layers, replace_linear_with_lora

BASE = "tiny-qkvbias-untied"
NUM_CLASSES = 2
HEAD_SEED = 123
BATCHES = 10
BATCH_SIZE = 4
LENGTH = 12
ADAMW = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}
LORA = {"rank": 4, "alpha": 8, "seed": 321}
LORA_ADAMW = {"lr": 5e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}
MIN_MARGIN = 1e-3


def write_random_state(out_dir):
    """random-state.json: what NumPy's legacy RandomState draws for a few seeds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = {}
    for seed in (0, 123, 2**32 - 1):
        raw = np.random.RandomState(seed).randint(0, 2**32, size=1300, dtype=np.uint32).tolist()
        seeds[str(seed)] = {
            # across two regenerations of the 624-word state
            "uint32": {"0": raw[:8], "620": raw[620:632], "1244": raw[1244:1252]},
            "random_sample": np.random.RandomState(seed).random_sample(4).tolist(),
            "permutation_10": np.random.RandomState(seed).permutation(10).tolist(),
            # a permutation moves the stream: the next draw must match too
            "permutation_then_sample": _permutation_then_sample(seed),
        }
    choice = np.random.RandomState(123).choice(4825, 747, replace=False).tolist()
    write_json(out_dir / "random-state.json", {"seeds": seeds, "choice_4825_747_seed_123": choice})
    return {"first_choice": choice[0]}


def _permutation_then_sample(seed):
    state = np.random.RandomState(seed)
    permutation = state.permutation(5).tolist()
    return {"permutation_5": permutation, "then_random_sample": state.random_sample()}


def write_sms_split(out_dir, data_path):
    """sms-split.json: the rows of the SMS Spam Collection as pandas reads them, the book's balanced
    sample and its 0.7 / 0.1 / 0.2 split, as row numbers (0-based among the rows read)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = read_labelled_tsv(data_path)
    labels = [label for label, _ in rows]
    balanced = balanced_rows(labels, seed=123)
    train, validation, test = random_split(balanced, 0.7, 0.1, seed=123)
    multiline = [row for row, (_, text) in enumerate(rows) if "\n" in text]
    quoted = [row for row, (_, text) in enumerate(rows) if text.startswith("Happy valentines day")]
    write_json(
        out_dir / "sms-split.json",
        {
            "sha256": hashlib.sha256(data_path.read_bytes()).hexdigest(),
            "rows": len(rows),
            "counts": {label: labels.count(label) for label in sorted(set(labels))},
            "texts": {str(row): rows[row][1] for row in multiline + quoted + [0, len(rows) - 1]},
            "balanced": balanced,
            "train": train,
            "validation": validation,
            "test": test,
        },
    )
    return {"rows": len(rows), "train": len(train), "validation": len(validation), "test": len(test)}


def classifier_batches(vocab, seed):
    """Right-padded batches: ids [BATCHES, BATCH_SIZE, LENGTH] in [0, vocab - 1) padded with vocab - 1
    (the stand-in for GPT-2's end-of-text id), the lengths before padding, and labels."""
    gen = torch.Generator().manual_seed(seed)
    pad = vocab - 1
    ids = torch.randint(0, pad, (BATCHES, BATCH_SIZE, LENGTH), generator=gen)
    lengths = torch.randint(2, LENGTH + 1, (BATCHES, BATCH_SIZE), generator=gen)
    lengths[0, 0] = LENGTH  # one row without padding
    positions = torch.arange(LENGTH).expand(BATCHES, BATCH_SIZE, LENGTH)
    ids = torch.where(positions < lengths.unsqueeze(-1), ids, torch.full_like(ids, pad))
    labels = torch.randint(0, NUM_CLASSES, (BATCHES, BATCH_SIZE), generator=gen)
    return ids.to(torch.int32), lengths.to(torch.int32), labels.to(torch.int32), pad


def smallest_margin(model, batches):
    """The smallest gap between the two class logits over every row and both poolings: predictions
    closer than MIN_MARGIN could flip between float32 implementations."""
    ids, lengths, _, _ = batches
    with torch.no_grad():
        gaps = [
            (class_logits(model, ids[b].long(), lengths[b], pooling).diff(dim=-1)).abs().min()
            for b in range(BATCHES)
            for pooling in ("last", "last-non-pad")
        ]
    return float(min(gaps))


def initial_classifier():
    """The fixture GPT with a new 2-class head, eval mode, and batches on which no prediction is a
    near tie (the batch seed moves on until none is)."""
    cfg = config_of(BASE)
    model = replace_head(build(BASE), NUM_CLASSES, HEAD_SEED).eval()
    for seed in range(700, 800):
        batches = classifier_batches(cfg["vocab_size"], seed)
        if smallest_margin(model, batches) >= MIN_MARGIN:
            return cfg, model, batches, seed
    raise RuntimeError("no batch seed gives clear predictions")


def io_tensors(model, batches):
    ids, lengths, labels, _ = batches
    out = {"input_ids": ids[0], "lengths": lengths[0], "labels": labels[0]}
    with torch.no_grad():
        for pooling in ("last", "last-non-pad"):
            out[f"logits.{pooling}"] = class_logits(model, ids[0].long(), lengths[0], pooling)
            out[f"loss.{pooling}"] = batch_loss(model, ids[0], lengths[0], labels[0], pooling)
    return out


def accuracies(model, batches):
    ids, lengths, labels, _ = batches
    return {
        pooling: sum(correct_predictions(model, ids[b], lengths[b], labels[b], pooling) for b in range(BATCHES))
        / (BATCHES * BATCH_SIZE)
        for pooling in ("last", "last-non-pad")
    }


def train_steps(model, batches, pooling, settings):
    """Ten AdamW steps over `model.parameters()` as the book passes them: frozen parameters get no
    gradient and AdamW leaves them (and their decay) alone."""
    ids, lengths, labels, _ = batches
    optimizer = torch.optim.AdamW(model.parameters(), **settings)
    model.train()
    losses = []
    for step in range(BATCHES):
        optimizer.zero_grad()
        loss = batch_loss(model, ids[step], lengths[step], labels[step], pooling)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


def common_config(cfg, batch_seed, pad):
    return {
        "model": {**cfg, "tied": False},
        "num_classes": NUM_CLASSES,
        "pad_token_id": pad,
        "batch_seed": batch_seed,
        "steps": BATCHES,
    }


def write_classifier_gpt(out_dir):
    """classifier-gpt/: the class head's logits, loss and accuracy, then ten AdamW steps with the last
    block, the final norm and the head trainable (the book's split), pooling on the last token."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg, model, batches, batch_seed = initial_classifier()
    _, _, _, pad = batches
    safetensors_io.save(out_dir / "initial.safetensors", weights(model), {"format": "pt"})
    trained, losses = write_last_block_training(model, batches, out_dir)
    write_json(
        out_dir / "config.json",
        {
            **common_config(cfg, batch_seed, pad),
            **trained,
            "zero_gradient": [name for name in trained["trainable_names"] if name.endswith("W_key.bias")],
        },
    )
    return {"first_loss": losses[0], "last_loss": losses[-1]}


def write_last_block_training(model, batches, out_dir):
    """batches, io (logits, losses) and the accuracy of the initial classifier, then ten AdamW steps
    with the last block, the final norm and the head trainable, pooling on the last token: the
    trained weights (final.safetensors) and losses.json. Returns the figures config.json records, and
    the losses."""
    ids, lengths, labels, _ = batches
    safetensors_io.save(out_dir / "batches.safetensors", {"ids": ids, "lengths": lengths, "labels": labels})
    safetensors_io.save(out_dir / "io.safetensors", io_tensors(model, batches))
    accuracy = accuracies(model, batches)

    set_trainable(model, "last-block")
    trainable = [name for name, parameter in model.named_parameters() if parameter.requires_grad]
    counts = {
        "total": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }
    losses = train_steps(model, batches, "last", ADAMW)
    final = {name: p.detach().clone() for name, p in model.named_parameters() if name in trainable}
    safetensors_io.save(out_dir / "final.safetensors", final, {"format": "pt"})
    write_json(out_dir / "losses.json", losses)
    return {
        "accuracy": accuracy,
        "trainable": "last-block",
        "trainable_names": trainable,
        "parameters": counts,
        "pooling": "last",
        "optimizer": {**ADAMW, "betas": list(ADAMW["betas"])},
    }, losses


def write_lora_classifier(out_dir):
    """lora-classifier/: the same classifier with every parameter frozen and LoRA (rank 4, alpha 8) on
    every Linear, the head included; inserting it changes no logit; ten AdamW steps on the adapters,
    pooling on the last non-padding token; the merged weights."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg, model, batches, batch_seed = initial_classifier()
    ids, lengths, _, pad = batches
    with torch.no_grad():
        before = class_logits(model, ids[0].long(), lengths[0], "last-non-pad")
    for parameter in model.parameters():
        parameter.requires_grad = False
    torch.manual_seed(LORA["seed"])
    replace_linear_with_lora(model, LORA["rank"], LORA["alpha"])
    layers = lora_layers(model)
    with torch.no_grad():
        after = class_logits(model.eval(), ids[0].long(), lengths[0], "last-non-pad")
    if not torch.equal(before, after):
        raise RuntimeError("inserting LoRA changed the logits")
    initial_a = {f"{name}.lora.A": layer.lora.A.detach().clone() for name, layer in layers.items()}
    safetensors_io.save(out_dir / "lora-initial.safetensors", initial_a)

    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    losses = train_steps(model, batches, "last-non-pad", LORA_ADAMW)
    final = {}
    merged = {}
    for name, layer in layers.items():
        final[f"{name}.lora.A"] = layer.lora.A.detach()
        final[f"{name}.lora.B"] = layer.lora.B.detach()
        with torch.no_grad():
            merged[f"{name}.weight"] = layer.merged_weight()
    safetensors_io.save(out_dir / "lora-final.safetensors", final)
    safetensors_io.save(out_dir / "merged.safetensors", merged)
    with torch.no_grad():
        logits = class_logits(model.eval(), ids[0].long(), lengths[0], "last-non-pad")
    safetensors_io.save(out_dir / "io.safetensors", {"logits.trained": logits})
    write_json(out_dir / "losses.json", losses)
    write_json(
        out_dir / "config.json",
        {
            **common_config(cfg, batch_seed, pad),
            "lora": {"rank": LORA["rank"], "alpha": LORA["alpha"], "scaling": "rank"},
            "lora_parameters": trainable,
            "layers": list(layers),
            "pooling": "last-non-pad",
            "optimizer": {**LORA_ADAMW, "betas": list(LORA_ADAMW["betas"])},
        },
    )
    return {"first_loss": losses[0], "last_loss": losses[-1], "lora_parameters": trainable}
