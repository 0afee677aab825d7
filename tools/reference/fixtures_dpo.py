"""Preference-tuning parity fixtures (packages/instruct/fixtures/dpo/): Direct Preference Optimization
as the book's chapter 7 bonus describes it, on 8 real pairs of the bundled preference data.

Each entry becomes the Alpaca prompt with its response header followed by the chosen answer, and the
same prompt followed by the rejected one (prompt and answers tokenized apart, so the prompt ends exactly
where the answer starts). Both sides are padded with the end-of-text id to one length; a mask is 1 on
the targets that are answer tokens. A sequence's log-probability is the mean of its target tokens'
log-probabilities over the mask, and the loss is −log σ(β · ((π_c − π_r) − (ref_c − ref_r))).

The policy and the reference are the small GPT of the chapter 7 fixtures, each with weights from the
shared formula (the reference's scales are half the policy's, so the two differ from the start). Ten
AdamW steps then train the policy on batches of 2 pairs in file order, the reference frozen.

With LoRA (`write_dpo_lora`), the policy is the policy above with every parameter frozen and a LoRA
update on each Linear of the blocks; its reference is that same model with the updates switched off,
so the two start equal (the first loss is log 2) and only the updates train."""

import json

import torch
import torch.nn.functional as F

import safetensors_io
from fixtures_instruct import ADAMW, MODEL, formula_values, parameter_spec
from fixtures_trainer import json_metadata
from gpt import GPTModel
from gpt2_bpe import GPT2Tokenizer, REPO
from instruct import format_input
from lora import lora_layers, replace_linear_with_lora

DATA = REPO / "data/instruction-data-with-preference.json"
# With and without an input, short and long answers, from the train, test and validation parts.
PAIR_ENTRIES = [0, 1, 6, 50, 169, 500, 961, 1099]
ALLOWED_MAX_LENGTH = 96
PAD = 50256
BETA = 0.1
REFERENCE_SCALE = 0.5
# A tenth of the chapter 7 fixtures' rate: near the start DPO's gradients are small, and at 5e-3 AdamW
# turns the round-off of a few near-zero embedding gradients into weights 3e-4 apart between float32
# and float64 runs; at 5e-4 they stay within 6e-6.
DPO_ADAMW = {**ADAMW, "lr": 5e-4}
STEPS = 10
STEP_BATCH = 2
LORA = {"rank": 4, "alpha": 8, "seed": 654}
# The chapter 7 fixtures' rate: with the base frozen the updates alone carry the preference, and
# float32 and float64 runs of the ten steps agree within 3e-7 (losses and updates).
LORA_ADAMW = ADAMW


def encode_pair(tokenizer, entry):
    prompt = format_input(entry) + "\n\n### Response:\n"
    return tokenizer.encode(prompt), tokenizer.encode(entry["chosen"]), tokenizer.encode(entry["rejected"])


def collate_side(pairs, answer, length):
    """inputs, targets [b, length] and the answer mask of the targets, from (prompt, chosen, rejected)."""
    inputs, targets, masks = [], [], []
    for pair in pairs:
        prompt, response = pair[0], pair[answer]
        sequence = prompt + response
        padded = sequence + [PAD] * (length + 1 - len(sequence))
        inputs.append(padded[:length])
        targets.append(padded[1 : length + 1])
        # Target t is token t + 1: counted when it belongs to the answer.
        masks.append([1.0 if len(prompt) <= t + 1 < len(sequence) else 0.0 for t in range(length)])
    return torch.tensor(inputs), torch.tensor(targets), torch.tensor(masks)


def collate(pairs):
    longest = max(len(prompt) + max(len(chosen), len(rejected)) for prompt, chosen, rejected in pairs)
    length = min(longest, ALLOWED_MAX_LENGTH)
    return {"chosen": collate_side(pairs, 1, length), "rejected": collate_side(pairs, 2, length)}


def sequence_log_probs(model, side):
    inputs, targets, mask = side
    log_probs = F.log_softmax(model(inputs), dim=-1)  # [b, T, vocab]
    picked = torch.gather(log_probs, -1, targets.unsqueeze(-1)).squeeze(-1)  # [b, T]
    return (picked * mask).sum(-1) / mask.sum(-1)  # [b]


def dpo(policy, reference, batch):
    policy_chosen = sequence_log_probs(policy, batch["chosen"])
    policy_rejected = sequence_log_probs(policy, batch["rejected"])
    with torch.no_grad():
        reference_chosen = sequence_log_probs(reference, batch["chosen"])
        reference_rejected = sequence_log_probs(reference, batch["rejected"])
    logits = (policy_chosen - policy_rejected) - (reference_chosen - reference_rejected)
    return {
        "loss": -F.logsigmoid(BETA * logits).mean(),
        "chosen_rewards": BETA * (policy_chosen - reference_chosen).detach(),
        "rejected_rewards": BETA * (policy_rejected - reference_rejected).detach(),
        "policy_chosen": policy_chosen.detach(),
        "policy_rejected": policy_rejected.detach(),
        "reference_chosen": reference_chosen,
        "reference_rejected": reference_rejected,
    }


def formula_model(scale_factor):
    """The tied chapter 7 GPT with every parameter center + scale_factor · scale · u_k, and its
    [name, shape, center, scale] list."""
    model = GPTModel(MODEL)
    model.tie_weights()
    spec, offset = [], 0
    with torch.no_grad():
        for name, param in model.named_parameters():
            center, scale = parameter_spec(name)
            scale *= scale_factor
            param.copy_((center + scale * formula_values(offset, param.numel())).float().reshape(param.shape))
            spec.append([name, list(param.shape), center, scale])
            offset += param.numel()
    return model, spec


def preference_pairs():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    tokenizer = GPT2Tokenizer()
    return [encode_pair(tokenizer, data[i]) for i in PAIR_ENTRIES]


def train_steps(policy, reference, pairs, adamw):
    """STEPS AdamW steps of DPO on batches of STEP_BATCH pairs in file order; the losses."""
    step_batches = [collate(pairs[start : start + STEP_BATCH]) for start in range(0, len(pairs), STEP_BATCH)]
    trainable = [param for param in policy.parameters() if param.requires_grad]
    optimizer = torch.optim.AdamW(trainable, **{**adamw, "betas": tuple(adamw["betas"])})
    losses = []
    for step in range(STEPS):
        optimizer.zero_grad()
        loss = dpo(policy, reference, step_batches[step % len(step_batches)])["loss"]
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


class WithoutUpdates(torch.nn.Module):
    """The model under LoRA with every update switched off (scale 0): its base, with no copy of it."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        layers = lora_layers(self.model).values()
        scales = [layer.lora.scale for layer in layers]
        for layer in layers:
            layer.lora.scale = 0.0
        try:
            return self.model(x)
        finally:
            for layer, scale in zip(layers, scales):
                layer.lora.scale = scale


def write_dpo(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = preference_pairs()
    batch = collate(pairs)
    for side in batch.values():
        assert (side[2].sum(-1) > 0).all(), "every row needs an answer token within ALLOWED_MAX_LENGTH"
    tensors = {}
    for name, (inputs, targets, mask) in batch.items():
        tensors[f"{name}.inputs"] = inputs.to(torch.int32)
        tensors[f"{name}.targets"] = targets.to(torch.int32)
        tensors[f"{name}.mask"] = mask
    settings = {"pair_entries": PAIR_ENTRIES, "allowed_max_length": ALLOWED_MAX_LENGTH}
    safetensors_io.save(out_dir / "data.safetensors", tensors, json_metadata(settings))

    policy, policy_spec = formula_model(1.0)
    reference, reference_spec = formula_model(REFERENCE_SCALE)
    policy.train()
    reference.eval().requires_grad_(False)
    with torch.no_grad():
        values = dpo(policy, reference, batch)
    values["loss"] = values["loss"].reshape(1)
    safetensors_io.save(out_dir / "values.safetensors", values, json_metadata({"beta": BETA}))

    losses = train_steps(policy, reference, pairs, DPO_ADAMW)
    training = {
        "losses": torch.tensor(losses, dtype=torch.float32),
        **{f"final.{name}": param.detach().clone() for name, param in policy.named_parameters()},
    }
    training_settings = {
        "model": {**MODEL, "tied": True},
        "policy_parameters": policy_spec,
        "reference_parameters": reference_spec,
        "optimizer": DPO_ADAMW,
        "beta": BETA,
        "steps": STEPS,
        "step_batch": STEP_BATCH,
    }
    safetensors_io.save(out_dir / "training.safetensors", training, json_metadata(training_settings))
    return {"loss": float(values["loss"]), "first_loss": losses[0], "last_loss": losses[-1]}


def write_dpo_lora(out_dir):
    """dpo/lora-*.safetensors: the policy of `write_dpo` frozen, LoRA (rank 4, alpha 8) on every Linear
    of its blocks, the reference the same model with the updates off; ten AdamW steps of the updates."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = preference_pairs()
    policy, policy_spec = formula_model(1.0)
    policy.requires_grad_(False)
    torch.manual_seed(LORA["seed"])
    # The blocks only: the tied head is the token embedding, which takes no update.
    replace_linear_with_lora(policy.trf_blocks, LORA["rank"], LORA["alpha"])
    layers = {f"trf_blocks.{name}": layer for name, layer in lora_layers(policy.trf_blocks).items()}
    initial = {f"{name}.lora.A": layer.lora.A.detach().clone() for name, layer in layers.items()}
    safetensors_io.save(out_dir / "lora-initial.safetensors", initial)
    policy.train()
    losses = train_steps(policy, WithoutUpdates(policy), pairs, LORA_ADAMW)
    final = {"losses": torch.tensor(losses, dtype=torch.float32)}
    for name, layer in layers.items():
        final[f"final.{name}.lora.A"] = layer.lora.A.detach().clone()
        final[f"final.{name}.lora.B"] = layer.lora.B.detach().clone()
    settings = {
        "model": {**MODEL, "tied": True},
        "policy_parameters": policy_spec,
        "lora": {"rank": LORA["rank"], "alpha": LORA["alpha"], "scaling": "rank"},
        "layers": list(layers),
        "optimizer": LORA_ADAMW,
        "beta": BETA,
        "steps": STEPS,
        "step_batch": STEP_BATCH,
    }
    safetensors_io.save(out_dir / "lora-training.safetensors", final, json_metadata(settings))
    return {"lora_first_loss": losses[0], "lora_last_loss": losses[-1]}
