"""Compare the fuzzy path's tokenizer (jieba's dictionary looked up in its sorted file, see
nlp/terms.py) with jieba loading its dictionary itself, on the project's questions: every
question of tests/nlp/batteries/*.jsonl, every Chinese string of tests/nlp/*.py and the dev set
(../shared/eval/dev.jsonl, when it is beside the checkout).

For each question (and each text the engine itself passes to ``content_words`` and
``word_boundaries`` while answering them) it compares jieba's segmentation, the content words and
the word boundaries, and then the engine's answers, and prints the counts and the differences.

    .venv/bin/python scripts/compare_tokenizers.py [--show 20]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.render import as_text  # noqa: E402
from nlp.conversation import Conversation  # noqa: E402
from nlp.engine import Engine  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")


def questions() -> list[list[str]]:
    """Conversations (lists of messages) to answer, without repeats."""
    out: list[list[str]] = []
    for path in sorted((ROOT / "tests" / "nlp" / "batteries").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.append(case.get("turns") or [case["q"]])
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    if dev.exists():
        for line in dev.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.append(case.get("turns") or [case["q"]])
    for path in sorted((ROOT / "tests" / "nlp").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if CJK.search(node.value) and len(node.value) <= 80 and "\n" not in node.value:
                    out.append([node.value])
    seen: set[tuple[str, ...]] = set()
    unique = []
    for conv in out:
        if tuple(conv) not in seen:
            seen.add(tuple(conv))
            unique.append(conv)
    return unique


def answers(engine: Engine, convs: list[list[str]]) -> list[str]:
    texts = []
    for conv in convs:
        conversation = Conversation()
        text = ""
        for message in conv:
            try:
                reply = engine.answer(message, conversation)
            except Exception as exc:  # a crash is a difference too
                text = f"ERROR {exc!r}"
                break
            conversation = reply.conversation
            text = as_text(reply)
        texts.append(text)
    return texts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show", type=int, default=20, help="differences shown per kind")
    args = ap.parse_args(argv)
    convs = questions()

    ours = Engine()
    full = Engine(ours.k, ours.policies)
    full.index._tokenizer = full.index.build_tokenizer(full=True)
    ours_tok = ours.index.tokenizer

    seen_inputs: list[str] = []
    record = ours.index.content_words, ours.index.word_boundaries

    def content_words(text: str) -> list[str]:
        seen_inputs.append(text)
        return record[0](text)

    def word_boundaries(text: str) -> set[int]:
        seen_inputs.append(text)
        return record[1](text)

    ours.index.content_words = content_words  # type: ignore[method-assign]
    ours.index.word_boundaries = word_boundaries  # type: ignore[method-assign]
    got, want = answers(ours, convs), answers(full, convs)
    ours.index.content_words, ours.index.word_boundaries = record  # type: ignore[method-assign]

    texts = list(
        dict.fromkeys(
            [unicodedata.normalize("NFKC", m).casefold() for conv in convs for m in conv]
            + seen_inputs
        )
    )
    full_tok = full.index.tokenizer
    kinds: dict[str, tuple[Callable[[str], object], Callable[[str], object]]] = {
        "jieba segmentation": (lambda t: ours_tok.lcut(t), lambda t: full_tok.lcut(t)),
        "content words": (ours.index.content_words, full.index.content_words),
        "word boundaries": (
            lambda t: sorted(ours.index.word_boundaries(t)),
            lambda t: sorted(full.index.word_boundaries(t)),
        ),
    }
    print(
        f"{len(convs)} questions/conversations, {len(texts)} texts "
        f"({len(set(seen_inputs))} of them passed to the tokenizer while answering)"
    )
    for kind, (new, old) in kinds.items():
        diffs = [(t, new(t), old(t)) for t in texts if new(t) != old(t)]
        print(f"{kind}: {len(diffs)} of {len(texts)} differ")
        for t, a, b in diffs[: args.show]:
            print(f"  {t!r}\n    sorted {a}\n    loaded {b}")
    changed = [(c, a, b) for c, a, b in zip(convs, got, want, strict=True) if a != b]
    print(f"answers: {len(changed)} of {len(convs)} differ")
    for conv, a, b in changed[: args.show]:
        print(f"  {' / '.join(conv)}\n    sorted {a[:200]!r}\n    loaded {b[:200]!r}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
