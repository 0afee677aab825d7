"""The small seeded models every parity fixture is built from."""

import torch

from gpt import GPTModel

TINY = {
    "vocab_size": 320,
    "context_length": 24,
    "emb_dim": 48,
    "n_heads": 4,
    "n_layers": 2,
    "drop_rate": 0.0,
}

EMBEDDING_STD = 0.3

# name -> (seed, qkv_bias, tied)
SPECS = {
    "tiny-qkvbias-untied": (101, True, False),
    "tiny-noqkvbias-tied": (202, False, True),
    "tiny-noqkvbias-untied": (303, False, False),
}


def config_of(name):
    _, qkv_bias, _ = SPECS[name]
    return {**TINY, "qkv_bias": qkv_bias}


def build(name):
    """The fixture model `name`: PyTorch's default initialisation after manual_seed(seed), the
    embeddings scaled down from N(0, 1) to N(0, 0.3²) so that the blocks' outputs are not drowned by the
    token embedding (a tied head would otherwise mostly echo the last token), then noise on every
    parameter so that LayerNorm scales are not all 1 and shifts and biases not all 0; a parity test then
    exercises each of them."""
    seed, _, tied = SPECS[name]
    torch.manual_seed(seed)
    model = GPTModel(config_of(name))
    if tied:
        model.tie_weights()
    noise = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        model.tok_emb.weight.mul_(EMBEDDING_STD)
        model.pos_emb.weight.mul_(EMBEDDING_STD)
        for param_name, param in model.named_parameters():  # a tied matrix is listed once
            std = 0.1 if param_name.endswith((".scale", ".shift")) else 0.02
            param.add_(std * torch.randn(param.shape, generator=noise))
    return model.eval()
