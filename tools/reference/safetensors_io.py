"""A small safetensors reader and writer (the format: an 8-byte little-endian header length, a JSON
header mapping each name to dtype/shape/data_offsets plus an optional `__metadata__` of strings,
padded with spaces to a multiple of 8, then the tensors' bytes back to back)."""

import json
import struct

import numpy as np
import torch

# dtype name in the file -> (torch dtype, numpy dtype of the raw little-endian storage)
DTYPES = {
    "F64": (torch.float64, np.dtype("<f8")),
    "F32": (torch.float32, np.dtype("<f4")),
    "F16": (torch.float16, np.dtype("<f2")),
    # numpy has no bfloat16: its bits travel as int16 and are reinterpreted by torch
    "BF16": (torch.bfloat16, np.dtype("<i2")),
    "I64": (torch.int64, np.dtype("<i8")),
    "I32": (torch.int32, np.dtype("<i4")),
    "I16": (torch.int16, np.dtype("<i2")),
    "I8": (torch.int8, np.dtype("i1")),
    "U8": (torch.uint8, np.dtype("u1")),
    "BOOL": (torch.bool, np.dtype("?")),
}
NAME_OF_DTYPE = {torch_dtype: name for name, (torch_dtype, _) in DTYPES.items()}


def _raw_bytes(tensor):
    tensor = tensor.detach().contiguous().cpu()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    return tensor.numpy().astype(tensor.numpy().dtype.newbyteorder("<"), copy=False).tobytes()


def serialize(tensors, metadata=None):
    """Bytes of a safetensors file holding `tensors` (a name -> torch.Tensor mapping), in the given
    order. Each tensor keeps its dtype; `metadata` values must be strings."""
    header = {}
    if metadata:
        if not all(isinstance(value, str) for value in metadata.values()):
            raise TypeError("safetensors __metadata__ values must be strings")
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        if tensor.dtype not in NAME_OF_DTYPE:
            raise TypeError(f"tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store")
        raw = _raw_bytes(tensor)
        header[name] = {
            "dtype": NAME_OF_DTYPE[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data then starts on an 8-byte boundary
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(path, tensors, metadata=None):
    with open(path, "wb") as file:
        file.write(serialize(tensors, metadata))


def parse(data, source="safetensors data"):
    """(tensors, metadata) from the bytes of a safetensors file; tensors keep their stored dtype."""
    if len(data) < 8:
        raise ValueError(f"{source} is truncated: {len(data)} bytes")
    (header_length,) = struct.unpack("<Q", data[:8])
    if 8 + header_length > len(data):
        raise ValueError(f"{source} is truncated: its header claims {header_length} bytes")
    header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    body = memoryview(data)[8 + header_length :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in DTYPES:
            raise ValueError(f"{source}: tensor '{name}' has unsupported dtype {entry['dtype']}")
        torch_dtype, storage = DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        if end > len(body):
            raise ValueError(f"{source}: tensor '{name}' lies beyond the end of the file")
        array = np.frombuffer(body[begin:end], dtype=storage).astype(storage.newbyteorder("="))
        tensor = torch.from_numpy(array.copy()).reshape(entry["shape"])
        if torch_dtype == torch.bfloat16:
            tensor = tensor.view(torch.bfloat16)
        tensors[name] = tensor
    return tensors, metadata


def load(path, with_metadata=False):
    with open(path, "rb") as file:
        tensors, metadata = parse(file.read(), source=str(path))
    return (tensors, metadata) if with_metadata else tensors
