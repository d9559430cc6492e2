"""Credential references and a secret type that cannot leak by accident.

Inventories hold *references* (``env:NAME``, ``file:PATH``), never secrets, so an
inventory can be committed, mailed and printed.  A resolved secret is wrapped in
:class:`Secret`, whose ``repr``/``str`` are redacted: a secret that ends up in a
log line, an exception message, a pydantic dump or a traceback's locals shows
``Secret('********')`` instead of the password.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REDACTED = "********"


class SecretError(ValueError):
    """A credential reference cannot be resolved.  Never contains the secret."""


class Secret:
    """A string whose value is only reachable through :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple:
        # Refuse to pickle: a pickled secret ends up in caches and crash dumps.
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class SecretRef:
    """A parsed ``env:NAME`` / ``file:PATH`` (or, when allowed, literal) reference."""

    scheme: str  # "env" | "file" | "literal"
    target: str  # variable name or path; empty for literals
    _literal: Secret | None = None

    def describe(self) -> str:
        """Human-readable, secret-free description (for errors and reports)."""
        if self.scheme == "literal":
            return "literal value (redacted)"
        return f"{self.scheme}:{self.target}"

    def resolve(self) -> Secret:
        if self.scheme == "env":
            value = os.environ.get(self.target)
            if value is None:
                raise SecretError(f"environment variable {self.target} is not set")
            return Secret(value)
        if self.scheme == "file":
            path = Path(self.target)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise SecretError(f"cannot read secret file {path}: {exc.strerror}") from None
            value = text.rstrip("\r\n")
            if not value:
                raise SecretError(f"secret file {path} is empty")
            return Secret(value)
        if self.scheme == "literal" and self._literal is not None:
            return self._literal
        raise SecretError(f"unsupported secret reference scheme {self.scheme!r}")

    def __repr__(self) -> str:
        return f"SecretRef({self.describe()})"


def parse_ref(text: str, *, base_dir: Path | None = None, allow_literal: bool = False) -> SecretRef:
    """Parse a reference; relative ``file:`` paths are relative to ``base_dir``.

    A string without a known scheme is a literal secret: refused unless the
    inventory explicitly allows literals, and the error never echoes it.
    """
    if text.startswith("env:"):
        name = text[4:]
        if not name or not all(c.isalnum() or c == "_" for c in name):
            raise SecretError("env: reference needs a variable name of letters, digits and _")
        return SecretRef("env", name)
    if text.startswith("file:"):
        raw = text[5:]
        if not raw:
            raise SecretError("file: reference needs a path")
        path = Path(raw).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return SecretRef("file", str(path))
    if allow_literal:
        return SecretRef("literal", "", Secret(text))
    raise SecretError(
        "a literal secret is not allowed here: use env:NAME or file:PATH "
        "(or set allow_literal_secrets: true at the top of the inventory)"
    )
