"""How input problems are told: one ``dotted.path: problem, got value`` line each.

pydantic's validation errors become such lines (with the nearest allowed key for a misspelt
one), long or deeply shared values are shown in part, unknown names get a suggestion, and
data built in Python is held to the YAML reader's size limits. Used by every model read
from a file (the scenario, the optimizer options).
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator import limits
from simulator.distributions import DISTRIBUTION_NAMES
from simulator.errors import InputError


def check_size(data: Any, source: str) -> None:
    """Refuse data nested deeper than ``MAX_YAML_DEPTH`` or with more than ``MAX_YAML_NODES``
    values counting every reference to a shared list (a cycle counts as too deep): the same
    limits the YAML reader applies, for data built in Python. Cost: one walk, bounded."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > limits.MAX_YAML_NODES:
            raise InputError(
                f"{source}: more than {limits.MAX_YAML_NODES:,} values (shared lists counted "
                "at each use)"
            )
        if isinstance(node, Mapping | list | tuple | set | frozenset):
            if depth > limits.MAX_YAML_DEPTH:
                raise InputError(
                    f"{source}: nested deeper than {limits.MAX_YAML_DEPTH} levels (or refers to "
                    "itself)"
                )
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8


def short(value: Any) -> str:
    """A bounded ``repr`` for messages: a huge or deeply shared value is shown in part."""
    return _REPR.repr(value)


def suggest(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else f" (known: {', '.join(known)})"


_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "too_short": "must not be empty",
}


def format_validation_error(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """pydantic's errors as ``dotted.path: problem, got value`` lines, one per problem;
    ``root`` is the model validated (its fields name the nearest key for a misspelt one)."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p))
        ctx = err.get("ctx") or {}
        kind = err["type"]
        if kind == "value_error":
            message = str(ctx.get("error", err["msg"]))
            lines += [f"{loc}: {part}" if loc else part for part in message.split("\n")]
            continue
        template = _MESSAGES.get(kind)
        ctx = {k: _number(v) for k, v in ctx.items()}
        message = template.format(**ctx) if template else err["msg"][:1].lower() + err["msg"][1:]
        if kind == "extra_forbidden":
            message = f"unknown field{_field_hint(root, err['loc'])}"
        elif kind not in ("missing",):
            message += f", got {short(err.get('input'))}"
        lines.append(f"{loc}: {message}" if loc else message)
    return lines


def _number(value: Any) -> Any:
    """``0.0`` -> ``0`` in messages, so they read ``must be >= 0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_union_tag(part: Any) -> bool:
    """pydantic inserts the union member's tag (``lognormal``) or type name into the path."""
    return isinstance(part, str) and (
        part in DISTRIBUTION_NAMES or part.startswith(("int", "tuple[", "float", "function-"))
    )


def _field_hint(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """For a misspelt key, name the nearest allowed one (difflib over the model's fields)."""
    model: Any = root
    for part in loc[:-1]:
        if _is_union_tag(part):
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            continue  # a dict key (channels.<name>): the model is already the value type
        annotation = fields[part].annotation
        model = _unwrap_model(annotation)
    fields = getattr(model, "model_fields", None)
    if not fields:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(fields), n=1)
    return f" (did you mean {close[0]}?)" if close else f" (allowed: {', '.join(fields)})"


def _unwrap_model(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


__all__ = ["check_size", "format_validation_error", "short", "suggest"]
