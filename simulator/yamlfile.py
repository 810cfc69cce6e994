"""Reading YAML input safely, with errors a person can act on.

Every YAML file the project reads (scenarios, sweeps, plans, optimizer options) goes through
here, so they all parse with the same safe loader (``yaml.SafeLoader``: no object
construction) and all report a missing file, an unreadable file or malformed YAML the same
way: one :class:`InputError` line starting with where the problem is (``file:line:column``).

The loader also refuses, with such a line, what would otherwise exhaust the reader or what
comes after it (limits in :mod:`simulator.limits`): files over ``MAX_YAML_BYTES``; nesting
deeper than ``MAX_YAML_DEPTH`` (the reader recurses per level); more than ``MAX_YAML_NODES``
nodes once aliases are expanded (an "alias bomb" is a few lines naming one list 10⁹ times,
harmless to parse but not to validate or print); duplicate keys in a mapping (YAML would
silently keep the last); and values its constructors cannot build (``!!float abc``, an
integer of 5,000 digits, a 13th month), which would otherwise escape as Python errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import InputError
from simulator.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES


class _LimitError(yaml.YAMLError):
    """A document over one of the reader's limits, with the node where it was noticed."""

    def __init__(self, problem: str, mark: Any):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts nesting depth and alias-expanded nodes while it
    composes the document, and refuses duplicate mapping keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._weights: dict[int, int] = {}  # id(node) -> nodes it expands to
        self._total = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            self._count(self._weights.get(id(node), 1), event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise _LimitError(f"nesting deeper than {MAX_YAML_DEPTH} levels", mark)
        before = self._total
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(1, node.start_mark)
        self._weights[id(node)] = self._total - before
        return node

    def _count(self, nodes: int, mark: Any) -> None:
        self._total += nodes
        if self._total > MAX_YAML_NODES:
            raise _LimitError(
                f"more than {MAX_YAML_NODES:,} values once aliases (*name) are expanded",
                mark,
            )

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise _LimitError(f"duplicate key {key_node.value!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            # A tagged value its constructor cannot build: !!float abc, !!timestamp
            # 2020-13-45, an integer past Python's 4,300-digit conversion limit.
            value = str(node.value)
            shown = (
                repr(value)
                if len(value) <= 40
                else f"{value[:20]!r}... ({len(value):,} characters)"
            )
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise _LimitError(f"cannot read {shown} as {kind}: {exc}", node.start_mark) from None


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _LimitError(
        f"the tag {node.tag.rsplit(':', 1)[-1]!r} is not used in staffsim files (write plain "
        "numbers, text, lists and mappings)",
        node.start_mark,
    )


# Plain data only: numbers, text, booleans, null, lists, mappings. Binary data, sets,
# ordered pairs and timestamps have no place in a scenario; an unquoted date is read as text.
for _tag in ("binary", "set", "omap", "pairs", "timestamp"):
    _SafeLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)
_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, *, source: str) -> Any:
    """Parse YAML text; malformed YAML → ``source:line:col: malformed YAML: problem``.
    An empty document gives ``None`` (callers decide whether that is an error)."""
    if len(text) > MAX_YAML_BYTES:  # characters, a lower bound on the bytes
        raise InputError(
            f"{source}: the file has {len(text):,} characters; the limit is "
            f"{MAX_YAML_BYTES:,} (a year of 15-minute volumes is about 200,000)"
        )
    loader = None
    try:
        loader = _SafeLoader(text)  # refuses control characters YAML does not allow
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        raise InputError(
            f"{source}: not a YAML text file: character {exc.character!r} at position "
            f"{exc.position:,} is not allowed in YAML"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: malformed YAML: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path: str | Path, *, label: str = "") -> str:
    """A UTF-8 file's text; a missing, unreadable, binary or too large file → one
    ``InputError`` line, prefixed with ``label`` (e.g. the CLI option that named the file)
    when given."""
    path = Path(path)
    prefix = f"{label}: " if label else ""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise InputError(
                f"{prefix}{path}: the file is {size:,} bytes; the limit is "
                f"{MAX_YAML_BYTES:,} (a year of 15-minute volumes is about 200,000)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{prefix}{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{prefix}{path}: cannot read: {exc.strerror or exc}") from None
    return decode_text(data, source=f"{prefix}{path}")


def decode_text(data: bytes, *, source: str) -> str:
    """UTF-8 text of a file's bytes; binary content (NUL bytes, invalid UTF-8) → one
    ``InputError`` line naming ``source``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (byte {exc.start:,} is {data[exc.start]:#04x}); "
            "expected a YAML file"
        ) from None
    if "\x00" in text:
        raise InputError(f"{source}: contains NUL bytes; expected a YAML text file")
    return text


def read_yaml(path: str | Path, *, label: str = "") -> Any:
    """:func:`read_text` then :func:`parse_yaml` (``None`` for an empty file)."""
    prefix = f"{label}: " if label else ""
    return parse_yaml(read_text(path, label=label), source=f"{prefix}{path}")
