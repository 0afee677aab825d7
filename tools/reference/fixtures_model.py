"""Model parity fixtures: weights in both layouts, logits, loss, greedy generations and gradients."""

import json

import torch
import torch.nn.functional as F

import safetensors_io
from fixture_models import SPECS, build, config_of
from gpt import GPTModel, generate_text_simple, load_weights, weights
from layouts import book_to_hf, hf_config

PT_METADATA = {"format": "pt"}


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2) + "\n")


def as_i32(tensor):
    return tensor.to(torch.int32)


def rounded(state, dtype):
    """The weights stored in `dtype`, as the file holds them."""
    return {name: tensor.to(dtype) for name, tensor in state.items()}


def logits_of(cfg, tied, state, input_ids):
    """Logits (in float32) of a model loaded from `state`, whatever dtype `state` holds."""
    model = GPTModel(cfg)
    if tied:
        model.tie_weights()
    load_weights(model, {name: tensor.float() for name, tensor in state.items()})
    with torch.no_grad():
        return model.eval()(input_ids)


def greedy_margin(model, ids, new_tokens, context):
    """The smallest gap between the best and second-best logit over the greedy steps: a fixture whose
    argmax hangs on a near tie would make parity tests fragile."""
    margin = float("inf")
    for _ in range(new_tokens):
        with torch.no_grad():
            last = model(ids[:, -context:])[:, -1, :]
        top2 = torch.topk(last, 2).values
        margin = min(margin, float((top2[:, 0] - top2[:, 1]).min()))
        ids = torch.cat((ids, last.argmax(dim=-1, keepdim=True)), dim=1)
    return margin


def write_model_fixture(name, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    seed, _, tied = SPECS[name]
    cfg = config_of(name)
    model = build(name)
    state = weights(model)
    vocab, context = cfg["vocab_size"], cfg["context_length"]

    write_json(out_dir / "config.json", {**cfg, "tied": tied})
    write_json(out_dir / "config.hf.json", hf_config(cfg, tied))
    safetensors_io.save(out_dir / "book.safetensors", state, PT_METADATA)
    hf = book_to_hf(state, tied)
    safetensors_io.save(out_dir / "hf.safetensors", hf, PT_METADATA)

    data = torch.Generator().manual_seed(seed + 2)
    input_ids = torch.randint(0, vocab, (2, 16), generator=data)
    targets = torch.randint(0, vocab, (2, 16), generator=data)
    prompt_ids = torch.randint(0, vocab, (1, 5), generator=data)
    long_prompt_ids = torch.randint(0, vocab, (1, 30), generator=data)

    with torch.no_grad():
        logits = model(input_ids)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    greedy_ids = generate_text_simple(model, prompt_ids, max_new_tokens=10, context_size=context)
    long_greedy_ids = generate_text_simple(model, long_prompt_ids, max_new_tokens=5, context_size=context)
    margin = min(
        greedy_margin(model, prompt_ids, 10, context), greedy_margin(model, long_prompt_ids, 5, context)
    )
    if margin < 1e-3:
        raise RuntimeError(f"{name}: greedy decoding has a near tie ({margin:.2e}); pick another seed")

    io = {
        "input_ids": as_i32(input_ids),
        "targets": as_i32(targets),
        "logits": logits,
        "loss": loss,
        "prompt_ids": as_i32(prompt_ids),
        "greedy_ids": as_i32(greedy_ids),
        "long_prompt_ids": as_i32(long_prompt_ids),
        "long_greedy_ids": as_i32(long_greedy_ids),
    }
    if name == "tiny-qkvbias-untied":
        # Half-precision copies: expected logits are those of the rounded weights computed in float32.
        hf16 = rounded(hf, torch.float16)
        book_bf16 = rounded(state, torch.bfloat16)
        safetensors_io.save(out_dir / "hf.f16.safetensors", hf16, PT_METADATA)
        safetensors_io.save(out_dir / "book.bf16.safetensors", book_bf16, PT_METADATA)
        io["logits_f16"] = logits_of(cfg, tied, rounded(state, torch.float16), input_ids)
        io["logits_bf16"] = logits_of(cfg, tied, book_bf16, input_ids)
    safetensors_io.save(out_dir / "io.safetensors", io)

    model.train()  # dropout is 0: the same numbers as eval, on the training code path
    model.zero_grad()
    train_loss = F.cross_entropy(model(input_ids).flatten(0, 1), targets.flatten())
    train_loss.backward()
    grads = {param_name: param.grad for param_name, param in model.named_parameters()}
    safetensors_io.save(out_dir / "grads.safetensors", grads)

    return {
        "loss": float(loss),
        "greedy_margin": margin,
        "grad_norm": float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads.values()]))),
    }
