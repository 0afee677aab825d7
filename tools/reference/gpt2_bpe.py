"""GPT-2's byte-pair encoding written out in plain Python, independent of the TypeScript tokenizer:
the pre-tokenizer as a hand-written scanner over Unicode categories (the `regex` module, which knows
\\p{L}, is not part of Debian's Python here), then tiktoken's merge (the adjacent pair whose joined
bytes have the lowest rank, leftmost first) with GPT-2's ranks as js-tiktoken ships them."""

import base64
import json
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RANKS_FILE = REPO / "packages/tokenizer/node_modules/js-tiktoken/dist/ranks/gpt2.js"
CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")


def load_ranks(path=RANKS_FILE):
    """{token bytes: id} from js-tiktoken's module: `export default {..., "bpe_ranks": "..."}`."""
    text = path.read_text(encoding="utf-8")
    module = json.loads(text[text.index("{") : text.rindex("}") + 1])
    ranks = {}
    for line in module["bpe_ranks"].split("\n"):
        if not line:
            continue
        fields = line.split(" ")
        offset = int(fields[1])
        for place, token in enumerate(fields[2:]):
            ranks[base64.b64decode(token)] = offset + place
    return ranks


def _letter(ch):
    return unicodedata.category(ch).startswith("L")


def _number(ch):
    return unicodedata.category(ch).startswith("N")


def _other(ch):
    return not (ch.isspace() or _letter(ch) or _number(ch))


def _run(text, start, accepts):
    end = start
    while end < len(text) and accepts(text[end]):
        end += 1
    return end


def _piece_end(text, i):
    """Where GPT-2's pattern, tried at `i`, ends its match:
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"""
    for suffix in CONTRACTIONS:
        if text.startswith("'" + suffix, i):
            return i + 1 + len(suffix)
    after_space = i + 1 if text[i] == " " else i
    for accepts in (_letter, _number, _other):
        if after_space < len(text) and accepts(text[after_space]):
            return _run(text, after_space, accepts)
    end = _run(text, i, str.isspace)  # text[i] is whitespace here
    if end < len(text) and end - i >= 2:
        return end - 1  # \s+(?!\S): leave the last space to the word after it
    return end


def pretokenize(text):
    pieces, i = [], 0
    while i < len(text):
        end = _piece_end(text, i)
        pieces.append(text[i:end])
        i = end
    return pieces


def _merge(piece, ranks):
    parts = [bytes([b]) for b in piece]
    while len(parts) > 1:
        best = None
        for k in range(len(parts) - 1):
            rank = ranks.get(parts[k] + parts[k + 1])
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, k)
        if best is None:
            break
        k = best[1]
        parts[k : k + 2] = [parts[k] + parts[k + 1]]
    return [ranks[part] for part in parts]


class GPT2Tokenizer:
    def __init__(self, ranks=None):
        self.ranks = ranks or load_ranks()
        self._cache = {}

    def encode(self, text):
        """Token ids of `text`; special tokens are plain text here, as in tiktoken's default they are
        refused: the instruction data holds none."""
        if "<|endoftext|>" in text:
            raise ValueError("the text contains <|endoftext|>")
        ids = []
        for piece in pretokenize(text):
            if piece not in self._cache:
                self._cache[piece] = _merge(piece.encode("utf-8"), self.ranks)
            ids.extend(self._cache[piece])
        return ids
