"""Parity fixtures of @scratchgpt/open-models: one small random model per family (Qwen3, Llama 3,
Gemma 3) with its weights in the Hugging Face layout, logits of a batch, a greedy continuation, and
ten AdamW steps."""

import torch

import safetensors_io
from fixtures_trainer import STEPS, batch_loss, training_batches, write_json
from open_models import Decoder, greedy, randomise_norms

ADAMW = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}
COMMON = {
    "vocab_size": 300,
    "context_length": 64,
    "emb_dim": 64,
    "n_heads": 4,
    "n_kv_groups": 2,
    "head_dim": 16,  # 4 heads of 16 = 64 here; the real Qwen3 and Gemma 3 have heads * head_dim != emb_dim
    "hidden_dim": 96,
    "norm_unit_offset": False,
    "sandwich_norms": False,
    "scale_embeddings": False,
    "activation": "silu",
    "rope_scaling": None,
    "sliding_window": None,
    "rope_local_base": None,
}
FAMILIES = {
    "qwen3-tiny": {
        **COMMON,
        "head_dim": 24,  # 4 heads × 24 = 96 ≠ emb 64, as in Qwen3-0.6B (16 × 128 ≠ 1024)
        "layer_types": ["full", "full"],
        "qk_norm": True,
        "rope_base": 1_000_000.0,
        "norm_eps": 1e-6,
        "tie_embeddings": True,
    },
    "llama3-tiny": {
        **COMMON,
        "layer_types": ["full", "full"],
        "qk_norm": False,
        "rope_base": 500_000.0,
        # With head_dim 16 the wavelengths 6.3, 32, 167, … fall in all three bands of the scaling.
        "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_context_length": 64},
        "norm_eps": 1e-5,
        "tie_embeddings": False,
    },
    "gemma3-tiny": {
        **COMMON,
        "n_kv_groups": 1,
        "layer_types": ["sliding"] * 5 + ["full"],
        "qk_norm": True,
        "rope_base": 1_000_000.0,
        "rope_local_base": 10_000.0,
        "sliding_window": 12,
        "query_pre_attn_scalar": 24,
        "final_logit_softcap": 15.0,
        "norm_unit_offset": True,
        "sandwich_norms": True,
        "scale_embeddings": True,
        "activation": "gelu_tanh",
        "norm_eps": 1e-6,
        "tie_embeddings": True,
    },
}
SEEDS = {"qwen3-tiny": 3, "llama3-tiny": 32, "gemma3-tiny": 270}


def typescript_config(name, cfg):
    """The family's config as @scratchgpt/open-models takes it (camelCase)."""
    shared = {
        "vocabSize": cfg["vocab_size"],
        "contextLength": cfg["context_length"],
        "embDim": cfg["emb_dim"],
        "nHeads": cfg["n_heads"],
        "nKvGroups": cfg["n_kv_groups"],
        "headDim": cfg["head_dim"],
        "hiddenDim": cfg["hidden_dim"],
        "nLayers": len(cfg["layer_types"]),
        "ropeBase": cfg["rope_base"],
        "normEps": cfg["norm_eps"],
        "tieEmbeddings": cfg["tie_embeddings"],
    }
    if name.startswith("llama3"):
        s = cfg["rope_scaling"]
        shared["ropeScaling"] = {
            "factor": s["factor"],
            "lowFreqFactor": s["low_freq_factor"],
            "highFreqFactor": s["high_freq_factor"],
            "originalContextLength": s["original_context_length"],
        }
    if name.startswith("gemma3"):
        shared.update(
            {
                "layerTypes": cfg["layer_types"],
                "slidingWindow": cfg["sliding_window"],
                "ropeLocalBase": cfg["rope_local_base"],
                "queryPreAttnScalar": cfg["query_pre_attn_scalar"],
                "finalLogitSoftcap": cfg["final_logit_softcap"],
            }
        )
    return shared


def state(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def build(name):
    torch.manual_seed(SEEDS[name])
    model = Decoder(FAMILIES[name])
    randomise_norms(model, torch.Generator().manual_seed(SEEDS[name] + 1))
    with torch.no_grad():  # N(0, 1) rows would make a tied head's logits (and losses) far too large
        model.model.embed_tokens.weight.mul_(0.2)
    return model


def write_open_model(name, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = FAMILIES[name]
    model = build(name).eval()
    write_json(out_dir / "config.json", typescript_config(name, cfg))
    safetensors_io.save(out_dir / "weights.safetensors", state(model), {"format": "pt"})

    gen = torch.Generator().manual_seed(SEEDS[name] + 2)
    input_ids = torch.randint(0, cfg["vocab_size"], (2, 40), generator=gen)
    prompt = torch.randint(0, cfg["vocab_size"], (1, 20), generator=gen)
    with torch.no_grad():
        logits = model(input_ids)
    continued = greedy(model, prompt, 24)
    io = {
        "input_ids": input_ids.to(torch.int32),
        "logits": logits,
        "prompt_ids": prompt.to(torch.int32),
        "greedy_ids": continued.to(torch.int32),
    }
    safetensors_io.save(out_dir / "io.safetensors", io)
    figures = write_linear_rope(name, model, input_ids, prompt, out_dir) if name.startswith("gemma3") else {}

    inputs, targets = training_batches(cfg["vocab_size"], seed=SEEDS[name] + 3)
    safetensors_io.save(out_dir / "batches.safetensors", {"inputs": inputs, "targets": targets})
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), **ADAMW)
    losses = []
    for step in range(STEPS):
        optimizer.zero_grad()
        loss = batch_loss(model, inputs[step], targets[step])
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    write_json(out_dir / "losses.json", losses)
    safetensors_io.save(out_dir / "final.safetensors", state(model), {"format": "pt"})
    write_json(
        out_dir / "training.json",
        {"optimizer": {**ADAMW, "betas": list(ADAMW["betas"])}, "steps": STEPS},
    )
    return {"max_logit": float(logits.abs().max()), "first_loss": losses[0], "last_loss": losses[-1], **figures}


LINEAR_ROPE_FACTOR = 8.0


def write_linear_rope(name, model, input_ids, prompt, out_dir):
    """The same weights with a linear rope_scaling (factor 8, as Gemma 3 4B and larger): the full layer's
    positions divided by the factor, the sliding layers' untouched. Returns how far the logits move."""
    cfg = {**FAMILIES[name], "rope_scaling": {"rope_type": "linear", "factor": LINEAR_ROPE_FACTOR}}
    scaled = Decoder(cfg)
    scaled.load_state_dict(model.state_dict())
    scaled.eval()
    write_json(out_dir / "rope-linear.json", {**typescript_config(name, FAMILIES[name]), "ropeLinearFactor": LINEAR_ROPE_FACTOR})
    with torch.no_grad():
        logits = scaled(input_ids)
        moved = float((logits - model(input_ids)).abs().max())
    io = {"logits": logits, "greedy_ids": greedy(scaled, prompt, 24).to(torch.int32)}
    safetensors_io.save(out_dir / "rope-linear.safetensors", io)
    return {"rope_linear_logit_change": moved}
