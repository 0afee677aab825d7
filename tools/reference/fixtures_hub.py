"""The model the Hub client is tested with: a GPT-2-format repository (Hugging Face `config.json` and
`model.safetensors`) small enough to commit, with GPT-2's whole vocabulary so that text encoded with
GPT-2's BPE runs through it, and PyTorch's greedy continuation of "Every effort moves you"."""

import json

import torch

import safetensors_io
from fixtures_model import greedy_margin
from gpt import GPTModel, generate_text_simple, weights
from layouts import book_to_hf, hf_config

SEED = 404
CONFIG = {
    "vocab_size": 50257,
    "context_length": 32,
    "emb_dim": 16,
    "n_heads": 2,
    "n_layers": 2,
    "drop_rate": 0.1,
    "qkv_bias": True,
}
# "Every effort moves you" in GPT-2's BPE (the book's chapter 4 prompt).
PROMPT_IDS = [6109, 3626, 6100, 345]
NEW_TOKENS = 10


def build():
    """GPT-2's architecture at toy size, tied like GPT-2, with the same scaled-down embeddings and noise
    as the model fixtures so that every parameter matters to the logits."""
    torch.manual_seed(SEED)
    model = GPTModel(CONFIG)
    model.tie_weights()
    noise = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        model.tok_emb.weight.mul_(0.3)
        model.pos_emb.weight.mul_(0.3)
        for name, param in model.named_parameters():
            std = 0.1 if name.endswith((".scale", ".shift")) else 0.02
            param.add_(std * torch.randn(param.shape, generator=noise))
    return model.eval()


def write_hub_model(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    model = build()
    (out_dir / "config.json").write_text(json.dumps(hf_config(CONFIG, tied=True), indent=2) + "\n")
    safetensors_io.save(out_dir / "model.safetensors", book_to_hf(weights(model), tied=True), {"format": "pt"})
    prompt = torch.tensor([PROMPT_IDS])
    greedy = generate_text_simple(model, prompt, NEW_TOKENS, CONFIG["context_length"])
    margin = greedy_margin(model, prompt, NEW_TOKENS, CONFIG["context_length"])
    if margin < 1e-3:
        raise RuntimeError(f"the Hub fixture's greedy decoding has a near tie ({margin:.2e}); pick another seed")
    io = {"prompt_ids": prompt.to(torch.int32), "greedy_ids": greedy.to(torch.int32)}
    safetensors_io.save(out_dir / "io.safetensors", io)
    return {"greedy_margin": margin, "parameters": sum(p.numel() for p in model.parameters())}
