"""Classifier fixtures on the open families: the tiny Qwen3 and Gemma 3 models of
fixtures_open_models.py (Gemma 3 with its embedding scale, four norms a block and a logit soft-cap,
which the class head never sees) with a 2-class head on the final norm's output: class logits of both
poolings on a right-padded batch, the loss and the accuracy, then ten AdamW steps with the last layer,
the final norm and the head trainable."""

import torch

import safetensors_io
from classify import batch_loss, set_trainable
from fixtures_classify import (
    BATCHES,
    MIN_MARGIN,
    NUM_CLASSES,
    classifier_batches,
    smallest_margin,
    write_last_block_training,
)
from fixtures_open_models import FAMILIES, SEEDS, build
from fixtures_trainer import write_json

HEAD_SEED = 123
# Ten times AdamW's eps: below it the first step of an element turns on its gradient's round-off.
MIN_GRADIENT = 1e-7
# The open model each fixture directory classifies with.
BACKBONES = {"classifier-qwen3": "qwen3-tiny", "classifier-gemma3": "gemma3-tiny"}


class OpenClassifier(torch.nn.Module):
    """A decoder's `model` (Hugging Face's names) and the book's `out_head`: Linear(emb, classes) with a
    bias, PyTorch's default initialisation after `torch.manual_seed(HEAD_SEED)`. The vocabulary head
    and its soft-cap are gone."""

    def __init__(self, decoder, num_classes):
        super().__init__()
        self.decoder_cfg = decoder.cfg
        self.hidden_states = decoder.hidden_states
        self.model = decoder.model
        torch.manual_seed(HEAD_SEED)
        self.out_head = torch.nn.Linear(decoder.cfg["emb_dim"], num_classes)

    # The names classify.set_trainable knows the book's GPT by.
    @property
    def trf_blocks(self):
        return self.model.layers

    @property
    def final_norm(self):
        return self.model.norm

    def forward(self, ids):
        return self.out_head(self.hidden_states(ids))  # [b, T, classes]


def smallest_first_gradient(model, batches):
    """The smallest magnitude of any trained element's gradient on the first batch. AdamW's first step
    moves each element by lr·g/(|g| + eps): an element whose gradient happens to be round-off around
    zero moves by a fraction of lr that depends on the round-off, which no two implementations share."""
    ids, lengths, labels, _ = batches
    set_trainable(model, "last-block")
    batch_loss(model, ids[0], lengths[0], labels[0], "last").backward()
    smallest = min(float(p.grad.abs().min()) for p in model.parameters() if p.grad is not None)
    model.zero_grad(set_to_none=True)
    set_trainable(model, "all")
    return smallest


def initial_open_classifier(backbone):
    """The backbone with a new head, eval mode, and batches without a near tie (as for the GPT) and
    without a trained element whose first gradient is within MIN_GRADIENT of zero."""
    model = OpenClassifier(build(backbone), NUM_CLASSES).eval()
    for seed in range(SEEDS[backbone] + 700, SEEDS[backbone] + 800):
        batches = classifier_batches(FAMILIES[backbone]["vocab_size"], seed)
        if smallest_margin(model, batches) < MIN_MARGIN:
            continue
        if smallest_first_gradient(model, batches) >= MIN_GRADIENT:
            return model, batches, seed
    raise RuntimeError("no batch seed gives clear predictions and first gradients")


def write_open_classifier(name, out_dir):
    """classifier-<family>/: head.safetensors (the new head; the backbone is the open-models fixture's
    weights.safetensors), batches, io (logits, losses), accuracy, then ten AdamW steps with the last
    layer, the final norm and the head trainable, pooling on the last token."""
    out_dir.mkdir(parents=True, exist_ok=True)
    backbone = BACKBONES[name]
    model, batches, batch_seed = initial_open_classifier(backbone)
    pad = batches[3]
    head = {f"out_head.{part}": p.detach().clone() for part, p in model.out_head.named_parameters()}
    safetensors_io.save(out_dir / "head.safetensors", head, {"format": "pt"})
    trained, losses = write_last_block_training(model, batches, out_dir)
    write_json(
        out_dir / "config.json",
        {
            "backbone": backbone,
            "num_classes": NUM_CLASSES,
            "pad_token_id": pad,
            "batch_seed": batch_seed,
            "steps": BATCHES,
            **trained,
        },
    )
    return {"first_loss": losses[0], "last_loss": losses[-1]}
