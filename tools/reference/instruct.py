"""Chapter 7 in PyTorch, as the book writes it: the Alpaca and Phi-3 prompts, the split in file order,
the collate function with the ignore index (and exercise 7.2's prompt masking)."""

import torch

ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
)


def format_input(entry):
    text = f"{ALPACA_PREAMBLE}\n\n### Instruction:\n{entry['instruction']}"
    return text + (f"\n\n### Input:\n{entry['input']}" if entry["input"] else "")


def format_input_phi(entry):
    text = f"<|user|>\n{entry['instruction']}"
    return text + (f"\n{entry['input']}" if entry["input"] else "")


def alpaca_text(entry):
    return format_input(entry) + f"\n\n### Response:\n{entry['output']}"


def phi_text(entry):
    return format_input_phi(entry) + f"\n<|assistant|>:\n{entry['output']}"


def split(data):
    train_count = int(len(data) * 0.85)
    test_count = int(len(data) * 0.1)
    return data[:train_count], data[train_count : train_count + test_count], data[train_count + test_count :]


def collate(batch, pad_token_id=50256, ignore_index=-100, allowed_max_length=None, prompt_lengths=None):
    """Inputs and targets [b, T] from token lists: each gets one end-of-text id, all are padded with
    it to the longest, targets are inputs shifted by one, every padding target but the first is
    ignored; with `prompt_lengths`, the targets of all but the last prompt token too."""
    longest = max(len(item) + 1 for item in batch)
    inputs, targets = [], []
    for row, item in enumerate(batch):
        padded = item + [pad_token_id] * (longest - len(item))
        row_inputs = torch.tensor(padded[:-1])
        row_targets = torch.tensor(padded[1:])
        padding = torch.nonzero(row_targets == pad_token_id).flatten()
        if padding.numel() > 1:
            row_targets[padding[1:]] = ignore_index
        if prompt_lengths is not None:
            row_targets[: prompt_lengths[row] - 1] = ignore_index
        if allowed_max_length is not None:
            row_inputs = row_inputs[:allowed_max_length]
            row_targets = row_targets[:allowed_max_length]
        inputs.append(row_inputs)
        targets.append(row_targets)
    return torch.stack(inputs), torch.stack(targets)
