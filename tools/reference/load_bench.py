"""How long PyTorch takes to load a GPT-2 checkpoint directory (Hugging Face layout) into the
reference model: reading model.safetensors into tensors as safetensors' `load_file` does (the file
mapped into memory, each tensor copied out of it once: the `safetensors` package is not in Debian 12),
converting to the book's names, and `load_state_dict`. One JSON line of seconds, the best of --repeat
runs each.

    /usr/bin/python3 tools/reference/load_bench.py DIR [--repeat 3]
"""

import argparse
import json
import mmap
import os
import struct
import time
import warnings
from pathlib import Path

import torch

import safetensors_io
from gpt import GPTModel
from layouts import book_config, hf_to_book


def load_file(path):
    """name -> tensor, each copied once out of the memory-mapped file (safetensors' `load_file`)."""
    # The views are only read, then cloned: the mapping's read-only memory is never written.
    warnings.filterwarnings("ignore", message="The given buffer is not writable")
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        (length,) = struct.unpack("<Q", mapped[:8])
        header = json.loads(mapped[8 : 8 + length])
        header.pop("__metadata__", None)
        tensors = {}
        for name, entry in header.items():
            dtype = safetensors_io.DTYPES[entry["dtype"]][0]
            begin, end = entry["data_offsets"]
            count = (end - begin) // torch.tensor([], dtype=dtype).element_size()
            view = torch.frombuffer(mapped, dtype=dtype, count=count, offset=8 + length + begin)
            tensors[name] = view.reshape(entry["shape"]).clone()
            del view
        return tensors


def best(repeat, action):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(len(os.sched_getaffinity(0)))  # every core this process may use
    hf = json.loads((args.directory / "config.json").read_text())
    cfg = book_config(hf, drop_rate=0.0)
    weights_path = args.directory / "model.safetensors"
    construct, model = best(args.repeat, lambda: GPTModel(cfg))
    model.tie_weights()
    read, tensors = best(args.repeat, lambda: load_file(weights_path))
    convert, (book, _) = best(args.repeat, lambda: hf_to_book(tensors, qkv_bias=cfg["qkv_bias"]))
    book = {name: tensor for name, tensor in book.items() if name != "out_head.weight"}
    state, _ = best(args.repeat, lambda: model.load_state_dict(book, strict=False))
    model.eval()
    ids = torch.tensor([[6109, 3626, 6100, 345]])
    forward, _ = best(args.repeat, lambda: model(ids))
    print(
        json.dumps(
            {
                "threads": torch.get_num_threads(),
                "constructSeconds": construct,
                "readSeconds": read,
                "convertSeconds": convert,
                "loadStateDictSeconds": state,
                "loadSeconds": read + convert + state,
                "forwardSeconds": forward,
            }
        )
    )


if __name__ == "__main__":
    main()
