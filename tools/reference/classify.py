"""Chapter 6's classification fine-tuning, following the book's behaviour: the SMS data pipeline
(pandas' reading, the seeded balancing and split) and the classifier (a new head on the GPT, the
trainable parts, class logits, loss and accuracy).

pandas is not installed here: Python's csv module reads the file as `pandas.read_csv(sep="\\t",
header=None)` does (a field opening with a double quote runs to its closing quote, across lines; text
after the closing quote is kept), which gives the book's 5,572 rows. The sampling and the shuffle are
NumPy's `RandomState` calls that pandas' `sample(..., random_state=123)` makes.
"""

import csv

import numpy as np
import torch
import torch.nn.functional as F

TRAINABLE = ("head", "last-block", "all")
POOLING = ("last", "last-non-pad")


def read_labelled_tsv(path):
    """(label, text) rows of a headerless two-column TSV, quoted as pandas reads it."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(label, text) for label, text in csv.reader(handle, delimiter="\t")]


def balanced_rows(labels, seed=123):
    """The book's `create_balanced_dataset`: as many ham rows as there are spam rows, sampled with
    `RandomState(seed).choice(n_ham, n_spam, replace=False)` over the ham rows in file order; the
    sample first, then every spam row. Returns row numbers."""
    ham = [row for row, label in enumerate(labels) if label == "ham"]
    spam = [row for row, label in enumerate(labels) if label == "spam"]
    sample = np.random.RandomState(seed).choice(len(ham), len(spam), replace=False)
    return [ham[index] for index in sample] + spam


def random_split(rows, train_frac, validation_frac, seed=123):
    """The book's `random_split`: shuffle with `RandomState(seed).permutation`, then cut at
    int(n·train_frac) and int(n·validation_frac) after it."""
    order = np.random.RandomState(seed).permutation(len(rows))
    shuffled = [rows[index] for index in order]
    train_end = int(len(rows) * train_frac)
    validation_end = train_end + int(len(rows) * validation_frac)
    return shuffled[:train_end], shuffled[train_end:validation_end], shuffled[validation_end:]


def replace_head(model, num_classes, seed):
    """The book's new output layer: `Linear(emb_dim, num_classes)` with a bias, PyTorch's default
    initialisation after `torch.manual_seed(seed)`."""
    torch.manual_seed(seed)
    model.out_head = torch.nn.Linear(model.final_norm.scale.numel(), num_classes)
    return model


def set_trainable(model, part):
    """Freezes every parameter, then unfreezes `part`: the head; the last block, the final norm and
    the head (the book's choice); or everything."""
    if part not in TRAINABLE:
        raise ValueError(f"trainable part must be one of {TRAINABLE}")
    for parameter in model.parameters():
        parameter.requires_grad = part == "all"
    trainable = [model.out_head]
    if part == "last-block":
        trainable += [model.trf_blocks[-1], model.final_norm]
    for module in trainable:
        for parameter in module.parameters():
            parameter.requires_grad = True


def class_logits(model, ids, lengths, pooling):
    """The class logits [b, classes] of one position per row: the last (the book's), or the last
    that is not padding (`lengths[i] - 1`)."""
    logits = model(ids)  # [b, T, classes]
    if pooling == "last":
        return logits[:, -1, :]
    return logits[torch.arange(ids.shape[0]), lengths.long() - 1, :]


def batch_loss(model, ids, lengths, labels, pooling):
    return F.cross_entropy(class_logits(model, ids.long(), lengths, pooling), labels.long())


def correct_predictions(model, ids, lengths, labels, pooling):
    with torch.no_grad():
        predicted = class_logits(model, ids.long(), lengths, pooling).argmax(dim=-1)
    return int((predicted == labels.long()).sum())
