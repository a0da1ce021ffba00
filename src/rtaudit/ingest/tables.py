"""One line of text for a table row, in the ``Key: value`` shape the pipeline's layout reads."""

from __future__ import annotations

_LABEL_MAX = 40


def row_text(cells: list[str]) -> str:
    """Join the cells of a row: a short first cell becomes a label (``Contrast: None``), the rest join with ``; ``.

    Merged cells repeat their text in each grid cell; repeats next to each other are kept once.
    """
    kept: list[str] = []
    for cell in (" ".join(c.split()) for c in cells):
        if cell and (not kept or kept[-1] != cell):
            kept.append(cell)
    if len(kept) < 2:
        return kept[0] if kept else ""
    label, rest = kept[0], "; ".join(kept[1:])
    if label.endswith(":"):
        return f"{label} {rest}"
    if len(label) <= _LABEL_MAX and label[-1] not in ".!?;":
        return f"{label}: {rest}"
    return "; ".join(kept)
