"""Run the reference assertion systems on target spans; runs INSIDE benchmarks/.venv-baselines (Python 3.12).

Input: JSON Lines, one object per line: {"id": ..., "sentence": str, "start": int, "end": int} (character
offsets of the target in the sentence). Output (``--output``): JSON Lines, one object per input line, in input
order: {"id": ..., "medspacy": {...}, "negspacy": {...}}. Standard output: one JSON object with the package
versions and, per system, the seconds of the classification loop: process CPU time of the fastest of
``--repeats`` passes over all items, after a warm-up on the first items. With ``--serve`` it then stays up and
times one more pass for each ``time NAME`` line on standard input (one JSON line back each), so that the caller
can interleave the baselines' timed passes with its own and both see the same machine load.

Setup, identical for every item and both systems: ``spacy.blank("en")`` tokenizer; the whole line is ONE sentence
(sentence starts set by hand, no sentencizer); the target is put into ``doc.ents`` as a Span labelled
``CONDITION`` (character offsets expanded to whole tokens). Then
- medspaCy 1.3.1 ConText, default English rules (shipped with the package): the entity's ``is_negated``,
  ``is_historical``, ``is_hypothetical``, ``is_family``, ``is_uncertain``;
- negspacy ``negex`` with the ``en_clinical`` termset (shipped with negspacy): the entity's ``_.negex``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version

import spacy
from spacy.tokens import Doc, Span

LABEL = "CONDITION"


def make_doc(nlp, sentence: str, start: int, end: int) -> tuple[Doc, Span | None]:
    doc = nlp.make_doc(sentence)
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0
    span = doc.char_span(start, end, label=LABEL, alignment_mode="expand")
    if span is not None:
        doc.ents = [span]
    return doc, span


def build_medspacy():
    import medspacy  # noqa: F401  (registers the "medspacy_context" factory)

    nlp = spacy.blank("en")
    context = nlp.add_pipe("medspacy_context")  # rules="default": medspaCy's packaged English ConText rules

    def run(sentence: str, start: int, end: int) -> dict:
        doc, span = make_doc(nlp, sentence, start, end)
        if span is None:
            return {"error": "target does not align with tokens"}
        context(doc)
        ent = doc.ents[0]
        cues = [f"{m.category}:{doc[m.modifier_span[0]:m.modifier_span[1]].text}" for m in ent._.modifiers]
        return {
            "negated": bool(ent._.is_negated),
            "historical": bool(ent._.is_historical),
            "hypothetical": bool(ent._.is_hypothetical),
            "experiencer_other": bool(ent._.is_family),
            "uncertain": bool(ent._.is_uncertain),
            "trigger": "; ".join(cues) or None,
        }

    return run


def build_negspacy():
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)
    from negspacy.termsets import termset

    nlp = spacy.blank("en")
    negex = nlp.add_pipe("negex", config={"neg_termset": termset("en_clinical").get_patterns()})

    def run(sentence: str, start: int, end: int) -> dict:
        doc, span = make_doc(nlp, sentence, start, end)
        if span is None:
            return {"error": "target does not align with tokens"}
        negex(doc)
        return {"negated": bool(doc.ents[0]._.negex)}

    return run


BUILDERS = {"medspacy": build_medspacy, "negspacy": build_negspacy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="JSON Lines of {id, sentence, start, end}")
    parser.add_argument("--output", required=True, help="JSON Lines of predictions, one per input line")
    parser.add_argument("--systems", default="medspacy,negspacy", help="comma-separated: medspacy,negspacy")
    parser.add_argument("--warmup", type=int, default=50, help="items run once, untimed, before the timed loop")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes over all items; the fastest counts")
    parser.add_argument("--serve", action="store_true",
                        help="after the predictions, time one more pass per 'time NAME' line read from standard "
                             "input, answering one JSON line each (lets the caller interleave its own passes)")
    args = parser.parse_args(argv)

    with open(args.input, encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle if line.strip()]
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(BUILDERS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")

    def timed_pass(run) -> tuple[float, list[dict]]:
        began = time.process_time()
        results = [run(item["sentence"], item["start"], item["end"]) for item in items]
        return time.process_time() - began, results

    runners, predictions = {}, {}
    meta: dict = {"versions": {p: version(p) for p in ("spacy", "medspacy", "negspacy")},
                  "python": sys.version.split()[0], "seconds": {}, "items": len(items)}
    for name in systems:
        run = runners[name] = BUILDERS[name]()
        for item in items[: args.warmup]:
            run(item["sentence"], item["start"], item["end"])
        best, predictions[name] = timed_pass(run)
        for _ in range(0 if args.serve else max(args.repeats - 1, 0)):
            best = min(best, timed_pass(run)[0])
        meta["seconds"][name] = best

    with open(args.output, "w", encoding="utf-8") as handle:
        for i, item in enumerate(items):
            row = {"id": item.get("id", i)}
            row.update({name: predictions[name][i] for name in systems})
            handle.write(json.dumps(row) + "\n")
    print(json.dumps(meta), flush=True)
    if args.serve:
        for line in sys.stdin:
            command, _, name = line.strip().partition(" ")
            if command != "time" or name not in runners:
                print(json.dumps({"error": f"unknown command {line.strip()!r}"}), flush=True)
                continue
            print(json.dumps({"system": name, "seconds": timed_pass(runners[name])[0]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
