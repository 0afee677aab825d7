"""Appendix E's low-rank adaptation (LoRA), following the book's behaviour: a frozen linear layer plus
a trainable update (alpha / rank)·x·A·B, with A Kaiming-uniform and B zero so that inserting it changes
no output."""

import math

import torch


class LoRALayer(torch.nn.Module):
    def __init__(self, in_dim, out_dim, rank, alpha):
        super().__init__()
        self.A = torch.nn.Parameter(torch.empty(in_dim, rank))
        torch.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))  # U(-1/sqrt(rank), 1/sqrt(rank))
        self.B = torch.nn.Parameter(torch.zeros(rank, out_dim))
        self.scale = alpha / rank

    def forward(self, x):
        return self.scale * (x @ self.A @ self.B)


class LinearWithLoRA(torch.nn.Module):
    def __init__(self, linear, rank, alpha):
        super().__init__()
        self.linear = linear
        self.lora = LoRALayer(linear.in_features, linear.out_features, rank, alpha)

    def forward(self, x):
        return self.linear(x) + self.lora(x)

    def merged_weight(self):
        """The linear's weight [out, in] with the update folded in: W + scale·(A·B)ᵀ."""
        return self.linear.weight + self.lora.scale * (self.lora.A @ self.lora.B).T


def replace_linear_with_lora(model, rank, alpha):
    """Wraps every `Linear` of the model (depth first, in registration order), the head included."""
    for name, module in model.named_children():
        if isinstance(module, torch.nn.Linear):
            setattr(model, name, LinearWithLoRA(module, rank, alpha))
        else:
            replace_linear_with_lora(module, rank, alpha)


def lora_layers(model):
    """Every wrapped layer by its name in the model (`trf_blocks.0.att.W_query`)."""
    return {name: module for name, module in model.named_modules() if isinstance(module, LinearWithLoRA)}
