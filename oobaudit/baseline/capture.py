"""Draft a baseline from the firmware inventory of a known-good ("golden") system.

:func:`draft_baseline_from_firmware` turns ``[{"id": ..., "version": ...}, ...]`` (Redfish
FirmwareInventory Ids and Versions) into **unsigned draft** baseline YAML for a human to review,
edit and then sign.  It guesses a version scheme and a component class per id:

* ids with a numeric suffix are grouped (``HGX_FW_GPU_SXM_1..8`` → ``HGX_FW_GPU_SXM_*``);
* the scheme is guessed from the id (``InfoROM`` → inforom, ``ERoT`` → erot, ``HGX_FW_BMC`` /
  ``HGX_FW_HMC`` → nvidia-hmc, ``HGX_FW_GPU`` / ``NVSwitch`` / ``PCIeSwitch`` → hex-dotted), and
  kept only if every version of the group parses under it; otherwise ``dotted``, then
  ``hex-dotted``, then ``exact`` with an ``allowed`` list;
* ``min`` is the lowest version seen in the group, so the golden system passes its own draft;
  a group whose versions disagree gets a ``note`` saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml

from .model import parse_baseline_yaml
from .versions import VersionError, compare, parse_version

__all__ = ["draft_baseline_from_firmware", "guess_class", "guess_scheme"]

# (id regex, scheme) in priority order.
_SCHEME_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"InfoROM", re.I), "inforom"),
    (re.compile(r"ERoT", re.I), "erot"),
    (re.compile(r"^(HGX_)?FW_(BMC|HMC)_", re.I), "nvidia-hmc"),
    (re.compile(r"(^|_)FW_GPU_|NVSwitch|PCIeSwitch", re.I), "hex-dotted"),
]

_CLASS_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"InfoROM", re.I), "inforom"),
    (re.compile(r"ERoT", re.I), "erot"),
    (re.compile(r"NVSwitch", re.I), "nvswitch"),
    (re.compile(r"PCIeSwitch", re.I), "pcie-switch"),
    (re.compile(r"Retimer", re.I), "retimer"),
    (re.compile(r"GPU", re.I), "gpu-vbios"),
    (re.compile(r"FPGA", re.I), "fpga"),
    (re.compile(r"CPLD", re.I), "cpld"),
    (re.compile(r"BIOS|UEFI|System ?ROM", re.I), "bios"),
    (re.compile(r"BMC|HMC|iDRAC|iLO|XCC", re.I), "bmc"),
    (re.compile(r"NIC|CX\d|ConnectX", re.I), "nic"),
]

_FALLBACKS = ("dotted", "hex-dotted")


def guess_class(firmware_id: str) -> str:
    for rx, cls in _CLASS_HINTS:
        if rx.search(firmware_id):
            return cls
    return "other"


def _parses(scheme: str, versions: Iterable[str]) -> bool:
    try:
        for v in versions:
            parse_version(scheme, v)
    except VersionError:
        return False
    return True


def guess_scheme(firmware_id: str, versions: Iterable[str]) -> str:
    """The scheme for ``firmware_id`` under which every one of ``versions`` parses (``exact`` if none)."""
    vs = list(versions)
    candidates = [s for rx, s in _SCHEME_HINTS if rx.search(firmware_id)] + list(_FALLBACKS)
    for scheme in candidates:
        if _parses(scheme, vs):
            return scheme
    return "exact"


def _group_key(firmware_id: str) -> str:
    m = re.fullmatch(r"(.*?_)(\d+)", firmware_id)
    return f"{m.group(1)}*" if m else firmware_id


def _lowest(scheme: str, versions: list[str]) -> str | None:
    best = versions[0]
    try:
        for v in versions[1:]:
            if compare(scheme, v, best) < 0:
                best = v
    except VersionError:
        return None
    return best


def draft_baseline_from_firmware(
    name: str,
    firmware: Iterable[Mapping[str, Any]],
    platform: str,
    *,
    version: int = 1,
    issued: date | None = None,
    valid_days: int = 180,
    schemes: Mapping[str, str] | None = None,
    required: bool = True,
    description: str | None = None,
) -> str:
    """Unsigned draft baseline YAML for ``platform`` from ``firmware`` items ``{id, version}``.

    ``schemes`` overrides the guess per group glob or per firmware id (``{"HGX_FW_FPGA_*": "dotted"}``).
    Items without a string ``id`` and ``version`` are skipped.  The result is validated with the
    baseline model before it is returned (raises ``BaselineSyntaxError`` if it does not, e.g. for
    an invalid ``name``).
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in firmware:
        fid, ver = item.get("id"), item.get("version")
        if not isinstance(fid, str) or not isinstance(ver, str) or not fid or not ver.strip():
            continue
        groups.setdefault(_group_key(fid), []).append((fid, ver.strip()))

    components: list[dict[str, Any]] = []
    for glob, members in sorted(groups.items()):
        versions = [v for _, v in members]
        override = (schemes or {}).get(glob) or (schemes or {}).get(members[0][0])
        scheme = override or guess_scheme(members[0][0], versions)
        rule: dict[str, Any] = {"id": glob, "class": guess_class(members[0][0]), "scheme": scheme}
        distinct = sorted(set(versions))
        low = None if scheme == "exact" or not _parses(scheme, versions) else _lowest(scheme, versions)
        if low is not None:
            rule["min"] = low
        else:
            rule["allowed"] = distinct
        if len(distinct) > 1:
            rule["note"] = "versions differ on the captured system: " + ", ".join(
                f"{fid}={v}" for fid, v in sorted(members)
            )
        rule["required"] = required
        components.append(rule)

    issued = issued or datetime.now(UTC).date()
    doc: dict[str, Any] = {
        "name": name,
        "version": version,
        "issued": issued,
        "expires": issued + timedelta(days=valid_days),
        "description": description or f"DRAFT captured from a {platform} system; review every minimum.",
        "match": {"platform": platform},
        "components": components,
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    header = (
        "# DRAFT baseline generated by oobaudit from a golden system's firmware inventory.\n"
        "# Review the schemes and minimums, add denied rows for known advisories, then sign it:\n"
        "#   oobaudit baseline sign FILE --key KEY\n"
    )
    text = header + body
    parse_baseline_yaml(text)  # self-check: a draft must be a valid baseline
    return text
