"""Load and validate the project's data files (JSONL patterns, YAML checklists) with errors naming file, line
and field."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(ValueError):
    """A data file that does not validate. The message names the file, the line and the field."""


def _describe(error: dict[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "(line)"
    value = error.get("input")
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"field '{field}': {error['msg']} (value: {shown})"


def parse_jsonl_lines(lines: Iterable[str], model: type[ModelT], source: str) -> list[ModelT]:
    """Validate JSON Lines text with ``model``; blank lines and ``//`` comments are skipped."""
    records: list[ModelT] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{source}:{number}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        try:
            records.append(model.model_validate(data))
        except ValidationError as exc:
            raise DataFileError(f"{source}:{number}: {_describe(exc.errors()[0])}") from None
    return records


def load_jsonl(path: Path, model: type[ModelT]) -> list[ModelT]:
    """Read and validate a JSON Lines file."""
    with open(path, encoding="utf-8") as handle:
        return parse_jsonl_lines(handle, model, str(path))


def _yaml_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through a composed YAML node tree; return the 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == str(part)), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_yaml_model(path: Path, model: type[ModelT], wrap: str | None = None) -> ModelT:
    """Read a YAML file with ``safe_load`` and validate it with ``model``; ``wrap`` names the field that holds
    the whole document when the file is a bare mapping."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # the safe loader (libyaml's when available)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        return model.model_validate({wrap: data} if wrap else data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])[1:] if wrap else tuple(error["loc"])
        line = _yaml_line(yaml.compose(text), loc)
        where = f":{line}" if line else ""
        raise DataFileError(f"{path}{where}: {_describe(error)}") from None
