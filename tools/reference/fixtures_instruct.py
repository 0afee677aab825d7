"""Chapter 7 parity fixtures (packages/instruct/fixtures/chapter7/): the bundled instruction data
tokenized and collated, the loss of a small GPT on a batch of real prompts, and ten AdamW steps on
batches of them.

The small GPT keeps GPT-2's vocabulary (the prompts are GPT-2 tokens) at 8 dimensions, with its head
tied to the token embedding. Its initial weights come from a formula both sides compute exactly
(`formula_values`), so only the final weights need a file."""

import json

import torch
import torch.nn.functional as F

import safetensors_io
from fixtures_trainer import json_metadata
from gpt import GPTModel
from gpt2_bpe import GPT2Tokenizer, REPO
from instruct import alpaca_text, collate, format_input, phi_text, split

DATA = REPO / "data/instruction-data.json"
# With and without an input, accents, symbols, Japanese and Cyrillic text.
COLLATE_ENTRIES = [50, 999, 6, 169, 500, 961, 0, 1099]
TRUNCATED_LENGTH = 32
MODEL = {
    "vocab_size": 50257,
    "context_length": 128,
    "emb_dim": 8,
    "n_heads": 2,
    "n_layers": 2,
    "drop_rate": 0.0,
    "qkv_bias": False,
}
ADAMW = {"lr": 5e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1}
STEPS = 10
STEP_BATCH = 2
STEP_MAX_LENGTH = 40
MULTIPLIER = 2654435761  # Knuth's multiplicative hash: spreads consecutive integers over 32 bits


def formula_values(offset, count):
    """u_k = ((k · 2654435761) mod 2³²) / 2³² − ½ for k = offset … offset + count − 1: exact in
    float64 in any language, in [−½, ½)."""
    k = torch.arange(offset, offset + count, dtype=torch.int64)
    return ((k * MULTIPLIER) % 2**32).double() / 2**32 - 0.5


def parameter_spec(name):
    """(center, scale) of a parameter's values: center + scale · u."""
    if name.endswith(".scale"):
        return 1.0, 0.4
    if name.endswith(".shift") or name.endswith(".bias"):
        return 0.0, 0.2
    if name.endswith("emb.weight"):
        return 0.0, 0.6
    return 0.0, 0.5


def formula_model():
    """The tied GPT with every parameter (in `named_parameters` order) set by the formula, and the
    list of [name, shape, center, scale] the TypeScript test rebuilds it from."""
    model = GPTModel(MODEL)
    model.tie_weights()
    spec, offset = [], 0
    with torch.no_grad():
        for name, param in model.named_parameters():
            center, scale = parameter_spec(name)
            values = center + scale * formula_values(offset, param.numel())
            param.copy_(values.float().reshape(param.shape))
            spec.append([name, list(param.shape), center, scale])
            offset += param.numel()
    return model.train(), spec


def batch_loss(model, inputs, targets):
    logits = model(inputs)  # [b, T, vocab]
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)


def write_chapter7(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    data = json.loads(DATA.read_text(encoding="utf-8"))
    tokenizer = GPT2Tokenizer()
    alpaca_ids = [tokenizer.encode(alpaca_text(entry)) for entry in data]
    prompt_lengths = [len(tokenizer.encode(format_input(entry))) for entry in data]
    phi_lengths = [len(tokenizer.encode(phi_text(entry))) for entry in data]

    chosen = [alpaca_ids[i] for i in COLLATE_ENTRIES]
    chosen_prompts = [prompt_lengths[i] for i in COLLATE_ENTRIES]
    inputs, targets = collate(chosen)
    _, masked = collate(chosen, prompt_lengths=chosen_prompts)
    cut_inputs, cut_targets = collate(chosen, allowed_max_length=TRUNCATED_LENGTH)
    tensors = {
        "lengths": torch.tensor([len(ids) for ids in alpaca_ids], dtype=torch.int32),
        "prompt_lengths": torch.tensor(prompt_lengths, dtype=torch.int32),
        "phi3_lengths": torch.tensor(phi_lengths, dtype=torch.int32),
        "collate.inputs": inputs.to(torch.int32),
        "collate.targets": targets.to(torch.int32),
        "collate.masked_targets": masked.to(torch.int32),
        "collate.cut_inputs": cut_inputs.to(torch.int32),
        "collate.cut_targets": cut_targets.to(torch.int32),
    }

    train, _, _ = split([ids for ids in alpaca_ids])
    step_batches = [
        collate(train[step * STEP_BATCH : (step + 1) * STEP_BATCH], allowed_max_length=STEP_MAX_LENGTH)
        for step in range(STEPS)
    ]
    for step, (step_inputs, step_targets) in enumerate(step_batches):
        tensors[f"steps.{step}.inputs"] = step_inputs.to(torch.int32)
        tensors[f"steps.{step}.targets"] = step_targets.to(torch.int32)
    settings = {
        "collate_entries": COLLATE_ENTRIES,
        "truncated_length": TRUNCATED_LENGTH,
        "steps": STEPS,
        "step_batch": STEP_BATCH,
        "step_max_length": STEP_MAX_LENGTH,
    }
    safetensors_io.save(out_dir / "data.safetensors", tensors, json_metadata(settings))

    model, spec = formula_model()
    with torch.no_grad():
        collate_loss = batch_loss(model, inputs, targets)
    optimizer = torch.optim.AdamW(model.parameters(), **{**ADAMW, "betas": tuple(ADAMW["betas"])})
    losses = []
    for step_inputs, step_targets in step_batches:
        optimizer.zero_grad()
        loss = batch_loss(model, step_inputs, step_targets)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    training = {
        "collate_loss": collate_loss.reshape(1),
        "losses": torch.tensor(losses, dtype=torch.float32),
        **{f"final.{name}": param.detach().clone() for name, param in model.named_parameters()},
    }
    training_settings = {"model": {**MODEL, "tied": True}, "parameters": spec, "optimizer": ADAMW}
    safetensors_io.save(out_dir / "training.safetensors", training, json_metadata(training_settings))
    return {"collate_loss": float(collate_loss), "first_loss": losses[0], "last_loss": losses[-1]}
