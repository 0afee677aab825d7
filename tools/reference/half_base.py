"""A frozen base stored in bfloat16 under LoRA's float32 adapters, for open_models.py's decoders: each
linear layer and the token embedding keep their weight in 16 bits, and every product widens it to
float32 for that product alone (the forward, and again for the input's gradient in the backward), so
the arithmetic is float32 on the rounded weights and no float32 copy outlives its product. That is
what scratchgpt's `storeWeights('bf16')` does with more than a few rows (`matMulHalf`)."""

import torch
import torch.nn.functional as F

from lora import LinearWithLoRA


class WidenedProduct(torch.autograd.Function):
    """x @ W.T with W bfloat16 and frozen: the gradient flows to x only."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(weight)
        return x @ weight.float().T

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        return grad @ weight.float(), None


class HalfLinear(torch.nn.Module):
    """A bias-free nn.Linear's weight [out, in] kept in bfloat16, frozen."""

    def __init__(self, linear):
        super().__init__()
        if linear.bias is not None:
            raise ValueError("HalfLinear takes bias-free layers (open_models.py has no others)")
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight", linear.weight.detach().to(torch.bfloat16))

    def forward(self, x):
        return WidenedProduct.apply(x, self.weight)


class HalfEmbedding(torch.nn.Module):
    """The token table [vocab, emb] in bfloat16, frozen: looked up by id, and the tied output head."""

    def __init__(self, embedding):
        super().__init__()
        self.register_buffer("weight", embedding.weight.detach().to(torch.bfloat16))

    def forward(self, ids):
        return F.embedding(ids, self.weight).float()

    def project(self, x):
        return WidenedProduct.apply(x, self.weight)


def store_base_bf16(model):
    """Moves every base linear layer (those LoRA wraps) and the token table into bfloat16 in place. The
    model's head must be tied to the table (both benchmark shapes are); use `logits` to run it."""
    if model.lm_head is not None:
        raise ValueError("store_base_bf16 expects a head tied to the token embedding")
    for module in model.modules():
        if isinstance(module, LinearWithLoRA):
            module.linear = HalfLinear(module.linear)
    model.model.embed_tokens = HalfEmbedding(model.model.embed_tokens)


def logits(model, ids):
    """The decoder's logits, whether its tied table is float32 or bfloat16 (no soft-cap: neither shape has one)."""
    hidden = model.hidden_states(ids)
    table = model.model.embed_tokens
    return table.project(hidden) if isinstance(table, HalfEmbedding) else hidden @ table.weight.T
