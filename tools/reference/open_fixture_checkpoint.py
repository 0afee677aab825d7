"""Writes one of the open-models fixtures (packages/open-models/fixtures/<name>) as a Hugging Face
checkpoint directory: config.json in the family's Hugging Face fields and model.safetensors (the
fixture's weights, already under Hugging Face's names, F32), as a downloaded checkpoint comes. Needs
only Python's standard library.

    python3 tools/reference/open_fixture_checkpoint.py qwen3-tiny --out DIR [--ids FILE]

With --ids, FILE gets {"ids": [...]}: 400 token ids of the fixture's vocabulary in a repeating
pattern, a text to train on (tools/distributed/continue_training.py --tokens FILE).
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "packages/open-models/fixtures"
ARCHITECTURES = {"qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM", "gemma3_text": "Gemma3ForCausalLM"}


def huggingface_config(name, c):
    """The fixture's config.json (camelCase, as @scratchgpt/open-models takes it) in Hugging Face's fields."""
    model_type = "qwen3" if name.startswith("qwen3") else "llama" if name.startswith("llama3") else "gemma3_text"
    config = {
        "architectures": [ARCHITECTURES[model_type]],
        "model_type": model_type,
        "vocab_size": c["vocabSize"],
        "max_position_embeddings": c["contextLength"],
        "hidden_size": c["embDim"],
        "num_attention_heads": c["nHeads"],
        "num_key_value_heads": c["nKvGroups"],
        "head_dim": c["headDim"],
        "intermediate_size": c["hiddenDim"],
        "num_hidden_layers": c["nLayers"],
        "rope_theta": c["ropeBase"],
        "rms_norm_eps": c["normEps"],
        "tie_word_embeddings": c["tieEmbeddings"],
        "torch_dtype": "float32",
    }
    if model_type == "llama":
        s = c["ropeScaling"]
        config["rope_scaling"] = {
            "rope_type": "llama3",
            "factor": s["factor"],
            "low_freq_factor": s["lowFreqFactor"],
            "high_freq_factor": s["highFreqFactor"],
            "original_max_position_embeddings": s["originalContextLength"],
        }
    if model_type == "gemma3_text":
        config.update(
            {
                "layer_types": [f"{kind}_attention" for kind in c["layerTypes"]],
                "sliding_window": c["slidingWindow"],
                "rope_local_base_freq": c["ropeLocalBase"],
                "query_pre_attn_scalar": c["queryPreAttnScalar"],
                "final_logit_softcapping": c["finalLogitSoftcap"],
                "hidden_activation": "gelu_pytorch_tanh",
            }
        )
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("fixture", choices=sorted(path.name for path in FIXTURES.iterdir() if path.is_dir()))
    parser.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--ids", type=Path, help="also write token ids of its vocabulary to train on")
    args = parser.parse_args()
    source = FIXTURES / args.fixture
    config = huggingface_config(args.fixture, json.loads((source / "config.json").read_text()))
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "weights.safetensors", args.out / "model.safetensors")
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if args.ids is not None:
        # Every 37th id, wrapping around: a sequence a few steps learn, whatever the vocabulary size.
        ids = [i * 37 % config["vocab_size"] for i in range(400)]
        args.ids.write_text(json.dumps({"ids": ids}) + "\n")
    print(f"{args.out}: {config['architectures'][0]} from {source.relative_to(FIXTURES.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
