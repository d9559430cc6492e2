"""YAML loading that remembers where every value came from.

Operators edit inventories by hand; "invalid inventory" is useless to someone with
a 3,000-line file.  This loader builds plain Python data from PyYAML's node tree
and keeps a map from each value's path (``("sites", 0, "racks", 1, ...)``) to its
line, so that pydantic's error locations can be turned into ``file:line``.  It
also refuses duplicate mapping keys, which PyYAML would silently overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]


@dataclass
class SourceIssue:
    """One problem in a source file, located by line."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class SourceError(ValueError):
    """A file could not be loaded; carries every issue found, each with its line."""

    def __init__(self, issues: list[SourceIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class LocatedDocument:
    path: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest known prefix of ``loc`` (pydantic locations may
        point below what YAML had, e.g. at a missing key)."""
        for n in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:n]))
            if line is not None:
                return line
        return None


def load_located(path: Path, text: str | None = None) -> LocatedDocument:
    """Load one YAML document with line information; raise SourceError."""
    name = str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SourceError([SourceIssue(name, None, f"cannot read file: {exc.strerror}")]) from None
        except UnicodeDecodeError:
            raise SourceError([SourceIssue(name, None, "file is not valid UTF-8")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SourceError([SourceIssue(name, line, f"YAML syntax error: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise SourceError([SourceIssue(name, None, f"YAML error: {exc}")]) from None
    doc = LocatedDocument(name, None)
    issues: list[SourceIssue] = []
    if node is None:
        doc.data = None
        return doc
    loader = yaml.SafeLoader("")
    try:
        doc.data = _build(node, (), doc, issues, loader)
    finally:
        loader.dispose()
    if issues:
        raise SourceError(issues)
    return doc


def _build(
    node: yaml.Node, loc: Loc, doc: LocatedDocument, issues: list[SourceIssue], loader: yaml.SafeLoader
) -> Any:
    doc.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                issues.append(SourceIssue(doc.path, line, "YAML merge keys (<<) are not supported"))
                continue
            key = _scalar(key_node, doc, issues, loader)
            if not isinstance(key, str | int):
                issues.append(SourceIssue(doc.path, key_node.start_mark.line + 1, "mapping keys must be strings"))
                continue
            if key in out:
                issues.append(
                    SourceIssue(doc.path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
                )
                continue
            child_loc = (*loc, key)
            doc.lines[child_loc] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child_loc, doc, issues, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child_loc = (*loc, i)
            doc.lines[child_loc] = item.start_mark.line + 1
            items.append(_build(item, child_loc, doc, issues, loader))
        return items
    return _scalar(node, doc, issues, loader)


def _scalar(node: yaml.Node, doc: LocatedDocument, issues: list[SourceIssue], loader: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        issues.append(SourceIssue(doc.path, node.start_mark.line + 1, "expected a plain value here"))
        return None
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        issues.append(SourceIssue(doc.path, node.start_mark.line + 1, f"bad value: {exc.problem}"))
        return None


def pydantic_issues(doc: LocatedDocument, exc: Any) -> list[SourceIssue]:
    """Turn a pydantic ValidationError into located issues.

    Input values are deliberately left out of the message: a mistyped password
    field must not be echoed back into a terminal or a CI log.
    """
    issues = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        where = dotted(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        issues.append(SourceIssue(doc.path, doc.line_of(loc), f"{where}: {msg}" if where else msg))
    return issues


def dotted(loc: Loc) -> str:
    """``("sites", 0, "racks")`` -> ``sites[0].racks``: how error messages name a place."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
