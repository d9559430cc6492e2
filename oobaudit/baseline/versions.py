"""Firmware version schemes: parse vendor version strings into comparable keys.

Generic parsers mis-order firmware versions (see ``reference/firmware-baselines.md`` §3):
``packaging.version`` rejects most of them or silently misreads them, fwupd reads VBIOS hex
fields as decimal (``96.00.9A < 96.00.10``) and orders ``rc100`` before ``rc99``, and string
comparison puts ``1.10`` before ``1.9``.  So every baseline component names its ``scheme``
explicitly and this module parses a version string under that scheme only.

Each parse yields a :class:`Version` with

* ``line`` -- the *version line* (train, generation, product): two versions are ordered only
  when they are on the same line **and** have keys of the same length.  Anything else raises
  :class:`VersionLineMismatch` (``iLO 5 v2.81`` vs ``iLO 4 v2.53``, Hopper ``96.00`` vs
  Blackwell ``97.00`` VBIOS, ``HGX-…`` vs ``GB200Nvl-…`` HMC builds).
* ``key`` -- a tuple of integers; within one line, version order is tuple order.

A string the scheme does not accept raises :class:`UnparseableVersion`.  Callers must turn a
:class:`VersionError` into an ERROR finding (OOB-FW-090), never into a pass.

Schemes (canonical name, then accepted aliases):

============  ===========================================  =======================  ======================
scheme        accepted form (examples)                     key                      line
============  ===========================================  =======================  ======================
dotted        ``v?N(.N)*`` -- ``2.53``, ``2.7.20``         the integers             ``"<n> fields"``
dell          ``N.N.N.N`` -- ``7.10.30.00``, ``4.40.00.00``  the four integers      ``"dell"``
hex-dotted    ``H(.H)+``, 1-8 hex digits per field,        the fields read base 16  first two fields,
              case-insensitive -- ``96.00.5E.00.01``,                               ``"96.00"``
              ``1.9.5F``
hpe           ``[iLO <g> |<ROM family> ]v?M.m[pP][ date]`` (M, m, P or 0)           ``"iLO 5"``, ``"U30"``
              -- ``iLO 5 v2.55p23 built on Oct 01 2021``,                           or ``""`` (no prefix)
              ``U30 v2.90 (07/20/2023)``, ``2.96 Aug 17 2023``
openbmc       git describe -- ``v1.99.0-353-ga3b8a0a``,    (M, m, p, stage, n,      ``"openbmc"``
              ``2.14.0-dev-1234-gabcdef0``,                commits)
              ``v4.44-0-g1eaa82ef8a-s8030``, ``v2.14.0``
nvidia-hmc    ``<product>-YY.MM-N[-rcR]`` --               (YY, MM, N, final, R)    product, upper-cased
              ``HGX-22.10-1-rc77``, ``GB200Nvl-25.08-9``                            (``"HGX"``)
erot          ``NN.NN.NNNN.NNNN_nNN`` --                   the four integers        the ``_nNN`` suffix
              ``00.02.0192.0000_n00``                                               (``"n00"``)
inforom       ``PPPP.SSSS.NN.NN`` -- ``G520.0200.00.05``   (SSSS, NN, NN)           project ``"G520"``
lenovo        ``<LETTERS><build>[<letter>]-M.m[.p]`` --    (M, m, p, build, letter) the build letters
              ``TEE142M-2.41``                                                      (``"TEE"``)
bluefield     ``M.m.p-N`` LTS (``2.8.2-51``) or date       the integers             ``"lts"`` / ``"date"``
              train ``YY.MM`` (``23.10``)
exact         anything (trimmed)                           ``()``                   the string itself
============  ===========================================  =======================  ======================

Aliases (the names used in the reference notes): ``dotted-decimal`` → dotted,
``nvidia-vbios-hex`` / ``vbios`` → hex-dotted, ``hpe-ilo`` / ``hpe-rom`` → hpe,
``openbmc-describe`` → openbmc, ``nvidia-erot`` → erot, ``nvidia-inforom`` → inforom,
``lenovo-xcc`` → lenovo, ``bluefield-bmc-lts`` → bluefield.

Semantics worth knowing:

* ``nvidia-hmc``: a build without ``-rc`` is the final release of that build and sorts after all
  of its release candidates (``HGX-22.10-1-rc77 < HGX-22.10-1 < HGX-22.10-2-rc1``), as with
  ``~rc`` in fwupd and pre-releases in SemVer.  ``rc`` numbers compare numerically
  (``rc100 > rc99``).  A build id that is not a number (``GB200Nvl-25.01-E``) is refused
  because its place in the order is unknown.
* ``openbmc``: ``X-dev-N-g…`` is development *towards* X and sorts before ``X-rcR-…``, which sorts
  before the release ``X-N-g…``; then the commit count orders builds of one base.  Two builds
  with the same base and commit count but different hashes compare equal (they may be on
  different branches: use ``allowed`` lists if that matters).
* ``dotted``: different field counts are different lines (``2.72`` vs ``2.72.0`` is refused,
  not silently equal), as NVIDIA's nvfwupd does.
* ``exact``: there is no order; two versions are equal when the trimmed strings are equal and
  any other pair is a line mismatch.  Use it with ``allowed`` lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "MAX_VERSION_LENGTH",
    "SCHEMES",
    "UnknownScheme",
    "UnparseableVersion",
    "Version",
    "VersionError",
    "VersionLineMismatch",
    "VersionRange",
    "canonical_scheme",
    "compare",
    "is_at_least",
    "parse_range",
    "parse_version",
]

#: Longest version string accepted (Redfish strings are short; this bounds regex work).
MAX_VERSION_LENGTH = 128


class VersionError(ValueError):
    """Base class of every error this module raises (a ``ValueError``)."""


class UnknownScheme(VersionError):
    """The scheme name is not one of :data:`SCHEMES` (or an alias)."""

    def __init__(self, scheme: object) -> None:
        self.scheme = scheme
        super().__init__(f"unknown version scheme {scheme!r}; known schemes: {', '.join(sorted(SCHEMES))}")


class UnparseableVersion(VersionError):
    """The text is not a version under the given scheme."""

    def __init__(self, scheme: str, text: object, why: str = "") -> None:
        self.scheme = scheme
        self.text = text
        self.why = why
        msg = f"{text!r} is not a valid {scheme!r} version"
        if why:
            msg += f" ({why})"
        super().__init__(msg)


class VersionLineMismatch(VersionError):
    """Two versions are on different version lines (or shapes) and cannot be ordered."""

    def __init__(self, a: Version, b: Version, why: str = "") -> None:
        self.a = a
        self.b = b
        why = why or f"line {a.line!r} vs line {b.line!r}"
        super().__init__(f"cannot compare {a.raw!r} with {b.raw!r} under scheme {a.scheme!r}: {why}")


@dataclass(frozen=True, slots=True)
class Version:
    """A parsed version: ``key`` orders versions of the same ``scheme`` and ``line``."""

    scheme: str
    line: str
    key: tuple[int, ...]
    raw: str

    def __str__(self) -> str:
        return self.raw

    def comparable_with(self, other: Version) -> bool:
        return self.scheme == other.scheme and self.line == other.line and len(self.key) == len(other.key)


# --------------------------------------------------------------------------------------------
# Scheme parsers.  Each takes the trimmed text and returns (line, key) or raises
# UnparseableVersion.  All regexes are anchored and linear (no nested quantifiers).
# --------------------------------------------------------------------------------------------

_Parser = Callable[[str], tuple[str, tuple[int, ...]]]

_DOTTED = re.compile(r"[vV]?(\d{1,9}(?:\.\d{1,9}){0,15})")
_DELL = re.compile(r"(\d{1,9})\.(\d{1,9})\.(\d{1,9})\.(\d{1,9})")
_HEX_DOTTED = re.compile(r"[0-9A-Fa-f]{1,8}(?:\.[0-9A-Fa-f]{1,8}){1,15}")
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_HPE = re.compile(
    r"(?:(?P<ilo>iLO)\s?(?P<gen>\d{1,2})\s+|(?P<rom>[A-Z]\d{2})\s+)?"
    r"[vV]?(?P<maj>\d{1,6})\.(?P<min>\d{1,6})(?:p(?P<patch>\d{1,6}))?"
    r"(?:\s+built\s+on\s+(?:" + _MONTHS + r")\s+\d{1,2}\s+\d{4}"
    r"|\s+\(\d{2}/\d{2}/\d{4}\)"
    r"|\s+(?:" + _MONTHS + r")\s+\d{1,2}\s+\d{4})?"
)
_OPENBMC = re.compile(
    r"[vV]?(?P<maj>\d{1,6})\.(?P<min>\d{1,6})(?:\.(?P<patch>\d{1,6}))?"
    r"(?:-(?P<stage>dev|rc(?P<rc>\d{1,6})))?"
    r"(?:-(?P<commits>\d{1,9})-g(?P<hash>[0-9a-fA-F]{4,40})(?P<suffix>(?:-[A-Za-z0-9_.]{1,32}){0,4}))?"
)
_HMC = re.compile(
    r"(?P<product>[A-Za-z][A-Za-z0-9]{0,31})-(?P<yy>\d{2})\.(?P<mm>\d{2})-(?P<build>\d{1,6})"
    r"(?:-[rR][cC](?P<rc>\d{1,6}))?"
)
_EROT = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})\.(\d{4})_(n\d{2})", re.IGNORECASE)
_INFOROM = re.compile(r"([0-9A-Za-z]{4})\.(\d{4})\.(\d{2})\.(\d{2})")
_LENOVO = re.compile(
    r"(?P<letters>[A-Za-z]{2,5})(?P<build>\d{1,5})(?P<sub>[A-Za-z]?)"
    r"-(?P<maj>\d{1,4})\.(?P<min>\d{1,4})(?:\.(?P<patch>\d{1,4}))?"
)
_BF_LTS = re.compile(r"(\d{1,4})\.(\d{1,4})\.(\d{1,4})-(\d{1,6})")
_BF_DATE = re.compile(r"(\d{2})\.(\d{2})")


def _full(regex: re.Pattern[str], scheme: str, text: str, why: str) -> re.Match[str]:
    m = regex.fullmatch(text)
    if m is None:
        raise UnparseableVersion(scheme, text, why)
    return m


def _parse_dotted(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_DOTTED, "dotted", text, "expected decimal fields separated by dots, e.g. 2.7.20")
    key = tuple(int(x) for x in m.group(1).split("."))
    return f"{len(key)} fields", key


def _parse_dell(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_DELL, "dell", text, "expected four decimal fields, e.g. 7.10.30.00")
    return "dell", tuple(int(x) for x in m.groups())


def _parse_hex_dotted(text: str) -> tuple[str, tuple[int, ...]]:
    _full(_HEX_DOTTED, "hex-dotted", text, "expected hexadecimal fields separated by dots, e.g. 96.00.5E.00.01")
    key = tuple(int(x, 16) for x in text.split("."))
    return f"{key[0]:02X}.{key[1]:02X}", key


def _parse_hpe(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_HPE, "hpe", text, "expected e.g. 'iLO 5 v2.72' or 'U30 v2.90 (07/20/2023)'")
    if m.group("ilo"):
        line = f"iLO {int(m.group('gen'))}"
    elif m.group("rom"):
        line = m.group("rom")
    else:
        line = ""
    return line, (int(m.group("maj")), int(m.group("min")), int(m.group("patch") or 0))


_OPENBMC_STAGE = {"dev": 0, "rc": 1, None: 2}


def _parse_openbmc(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_OPENBMC, "openbmc", text, "expected git describe output, e.g. v1.99.0-353-ga3b8a0a")
    stage = m.group("stage")
    stage_rank = _OPENBMC_STAGE["rc" if stage and stage.startswith("rc") else stage]
    key = (
        int(m.group("maj")),
        int(m.group("min")),
        int(m.group("patch") or 0),
        stage_rank,
        int(m.group("rc") or 0),
        int(m.group("commits") or 0),
    )
    return "openbmc", key


def _parse_hmc(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_HMC, "nvidia-hmc", text, "expected <product>-YY.MM-N[-rcR], e.g. HGX-22.10-1-rc77")
    rc = m.group("rc")
    final = 0 if rc is not None else 1
    key = (int(m.group("yy")), int(m.group("mm")), int(m.group("build")), final, int(rc or 0))
    return m.group("product").upper(), key


def _parse_erot(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_EROT, "erot", text, "expected NN.NN.NNNN.NNNN_nNN, e.g. 00.02.0192.0000_n00")
    return m.group(5).lower(), tuple(int(x) for x in m.groups()[:4])


def _parse_inforom(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_INFOROM, "inforom", text, "expected PPPP.SSSS.NN.NN, e.g. G520.0200.00.05")
    return m.group(1).upper(), tuple(int(x) for x in m.groups()[1:])


def _parse_lenovo(text: str) -> tuple[str, tuple[int, ...]]:
    m = _full(_LENOVO, "lenovo", text, "expected <build id>-M.m, e.g. TEE142M-2.41")
    sub = m.group("sub")
    key = (
        int(m.group("maj")),
        int(m.group("min")),
        int(m.group("patch") or 0),
        int(m.group("build")),
        ord(sub.upper()) - ord("A") + 1 if sub else 0,
    )
    return m.group("letters").upper(), key


def _parse_bluefield(text: str) -> tuple[str, tuple[int, ...]]:
    m = _BF_LTS.fullmatch(text)
    if m:
        return "lts", tuple(int(x) for x in m.groups())
    m = _full(_BF_DATE, "bluefield", text, "expected an LTS version M.m.p-N (2.8.2-51) or a date train YY.MM")
    return "date", tuple(int(x) for x in m.groups())


def _parse_exact(text: str) -> tuple[str, tuple[int, ...]]:
    return text, ()


_PARSERS: dict[str, _Parser] = {
    "dotted": _parse_dotted,
    "dell": _parse_dell,
    "hex-dotted": _parse_hex_dotted,
    "hpe": _parse_hpe,
    "openbmc": _parse_openbmc,
    "nvidia-hmc": _parse_hmc,
    "erot": _parse_erot,
    "inforom": _parse_inforom,
    "lenovo": _parse_lenovo,
    "bluefield": _parse_bluefield,
    "exact": _parse_exact,
}

#: Canonical scheme name → one-line description (for ``baseline show`` and error messages).
SCHEMES: dict[str, str] = {
    "dotted": "decimal dotted, any length (2.53, 2.7.20); line = number of fields",
    "dell": "Dell four-part decimal (7.10.30.00)",
    "hex-dotted": "hex fields, case-insensitive (VBIOS 96.00.5E.00.01, 1.9.5F); line = first two fields",
    "hpe": "HPE iLO / System ROM (iLO 5 v2.72, U30 v2.90 (07/20/2023)); line = iLO generation or ROM family",
    "openbmc": "OpenBMC git describe (v1.99.0-353-ga3b8a0a); base version, then commit count",
    "nvidia-hmc": "NVIDIA HMC build (HGX-22.10-1-rc77, GB200Nvl-25.08-9); line = product; final > rcN",
    "erot": "NVIDIA ERoT (00.02.0192.0000_n00); line = _nNN suffix",
    "inforom": "NVIDIA InfoROM image (G520.0200.00.05); line = project",
    "lenovo": "Lenovo XCC / UEFI (TEE142M-2.41); line = build id letters",
    "bluefield": "NVIDIA BlueField BMC: LTS 2.8.2-51 (line lts) or date train 23.10 (line date)",
    "exact": "no order: string equality only (use with allowed lists)",
}

_ALIASES = {
    "dotted-decimal": "dotted",
    "nvidia-vbios-hex": "hex-dotted",
    "vbios": "hex-dotted",
    "hpe-ilo": "hpe",
    "hpe-rom": "hpe",
    "openbmc-describe": "openbmc",
    "nvidia-erot": "erot",
    "nvidia-inforom": "inforom",
    "lenovo-xcc": "lenovo",
    "bluefield-bmc-lts": "bluefield",
}


def canonical_scheme(scheme: object) -> str:
    """Return the canonical name of ``scheme`` (resolving aliases) or raise :class:`UnknownScheme`."""
    if not isinstance(scheme, str):
        raise UnknownScheme(scheme)
    name = scheme.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in _PARSERS:
        raise UnknownScheme(scheme)
    return name


def parse_version(scheme: str, text: object) -> Version:
    """Parse ``text`` under ``scheme``.

    Raises :class:`UnknownScheme` or :class:`UnparseableVersion` (both :class:`VersionError`);
    never any other exception, whatever ``text`` is.
    """
    name = canonical_scheme(scheme)
    if not isinstance(text, str):
        raise UnparseableVersion(name, text, f"expected a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise UnparseableVersion(name, text, "empty")
    if len(stripped) > MAX_VERSION_LENGTH:
        raise UnparseableVersion(name, text[:40] + "…", f"longer than {MAX_VERSION_LENGTH} characters")
    if not stripped.isprintable():
        raise UnparseableVersion(name, text, "contains control characters")
    line, key = _PARSERS[name](stripped)
    return Version(scheme=name, line=line, key=key, raw=stripped)


def _coerce(scheme: str, v: str | Version) -> Version:
    if isinstance(v, Version):
        if v.scheme != scheme:
            raise VersionError(f"version {v.raw!r} was parsed under {v.scheme!r}, not {scheme!r}")
        return v
    return parse_version(scheme, v)


def compare(scheme: str, a: str | Version, b: str | Version) -> int:
    """Return -1, 0 or 1 as ``a`` is older than, the same as, or newer than ``b``.

    Raises :class:`UnparseableVersion` if either does not parse, :class:`VersionLineMismatch` if
    they are on different lines (or, within a line, have keys of different length).
    """
    name = canonical_scheme(scheme)
    va, vb = _coerce(name, a), _coerce(name, b)
    if va.line != vb.line:
        raise VersionLineMismatch(va, vb)
    if len(va.key) != len(vb.key):
        raise VersionLineMismatch(va, vb, f"{len(va.key)} vs {len(vb.key)} fields")
    return (va.key > vb.key) - (va.key < vb.key)


def is_at_least(scheme: str, observed: str | Version, minimum: str | Version) -> bool:
    """``observed >= minimum`` (raises :class:`VersionError` when that cannot be decided)."""
    return compare(scheme, observed, minimum) >= 0


# --------------------------------------------------------------------------------------------
# Ranges, used by ``denied`` rows: ">=12.0, <12.7" (comma = and).
# --------------------------------------------------------------------------------------------

_OPS: dict[str, Callable[[int], bool]] = {
    ">=": lambda c: c >= 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    "<": lambda c: c < 0,
    "==": lambda c: c == 0,
}
_BOUND = re.compile(r"\s*(>=|<=|==|>|<)\s*(.+?)\s*")


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A conjunction of bounds such as ``>=12.0, <12.7``; all bounds are on one line."""

    scheme: str
    bounds: tuple[tuple[str, Version], ...]
    raw: str

    @property
    def line(self) -> str:
        return self.bounds[0][1].line

    def same_line(self, v: Version) -> bool:
        """True when ``v`` can be tested against this range (same scheme, line and shape)."""
        return v.comparable_with(self.bounds[0][1])

    def contains(self, v: str | Version) -> bool:
        """Whether ``v`` satisfies every bound (raises :class:`VersionError` if not comparable)."""
        v = _coerce(self.scheme, v)
        return all(_OPS[op](compare(self.scheme, v, bound)) for op, bound in self.bounds)

    def __str__(self) -> str:
        return self.raw


def parse_range(scheme: str, text: object) -> VersionRange:
    """Parse a range such as ``">=12.0, <12.7"`` or ``"<96.00.5E.00.00"`` under ``scheme``.

    Bounds are separated by commas and all must hold.  All bounds must be on the same line.
    The ``exact`` scheme has no order and accepts only ``==`` bounds.
    """
    name = canonical_scheme(scheme)
    if not isinstance(text, str) or not text.strip():
        raise UnparseableVersion(name, text, "empty range")
    if len(text) > 4 * MAX_VERSION_LENGTH:
        raise UnparseableVersion(name, text[:40] + "…", "range too long")
    bounds: list[tuple[str, Version]] = []
    for part in text.split(","):
        m = _BOUND.fullmatch(part)
        if m is None:
            raise UnparseableVersion(
                name, text, f"bad bound {part.strip()!r}: expected one of >=, >, <=, <, == then a version"
            )
        op, vtext = m.groups()
        if name == "exact" and op != "==":
            raise UnparseableVersion(name, text, "the exact scheme has no order: only == bounds")
        bounds.append((op, parse_version(name, vtext)))
    first = bounds[0][1]
    for _, other in bounds[1:]:
        if not first.comparable_with(other):
            raise VersionLineMismatch(first, other, "all bounds of a range must be on one version line")
    return VersionRange(scheme=name, bounds=tuple(bounds), raw=text.strip())
