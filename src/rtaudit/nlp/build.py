"""Build the pipeline from the pattern files and save it under ``models/``: ``python -m rtaudit.nlp.build``."""

from __future__ import annotations

import sys
from pathlib import Path

from rtaudit.nlp.pipeline import MODEL_DIR, PATTERNS_DIR, build_pipeline


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else MODEL_DIR
    nlp = build_pipeline(PATTERNS_DIR)
    nlp.to_disk(target)
    print(f"built {nlp.meta['name']} {nlp.meta['version']} -> {target} ({', '.join(nlp.pipe_names)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
