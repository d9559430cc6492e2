"""Version schemes: table-driven ordering, refusals, and hypothesis properties."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oobaudit.baseline.versions import (
    SCHEMES,
    UnknownScheme,
    UnparseableVersion,
    Version,
    VersionError,
    VersionLineMismatch,
    canonical_scheme,
    compare,
    is_at_least,
    parse_range,
    parse_version,
)

# (scheme, a, b, expected sign of compare(a, b))
ORDER_TABLE = [
    # hex-dotted: VBIOS fields are hex (fwupd and decimal parsers get these wrong)
    ("hex-dotted", "96.00.9A", "96.00.10", 1),
    ("hex-dotted", "96.00.9A.00.01", "96.00.10.00.01", 1),
    ("hex-dotted", "96.00.BC.00.01", "96.00.5E.00.01", 1),
    ("hex-dotted", "96.00.5e.00.01", "96.00.5E.00.01", 0),
    ("hex-dotted", "96.00.5C.00.03", "96.00.5E.00.00", -1),
    ("hex-dotted", "1.9.5F", "1.9.60", -1),
    ("nvidia-vbios-hex", "96.00.74.00.11", "96.00.74.00.0F", 1),
    # dotted: numeric, not string, comparison
    ("dotted", "1.10.2", "1.9.0", 1),
    ("dotted", "2.7.20", "2.7.3", 1),
    ("dotted", "001.002.003", "1.2.3", 0),
    ("dotted", "v2.53", "2.53", 0),
    ("dotted-decimal", "2.53", "2.60", -1),
    ("dell", "7.10.30.00", "6.10.80.00", 1),
    ("dell", "4.40.00.00", "4.40.0.0", 0),
    # nvidia-hmc: numeric rc, final release after its rcs
    ("nvidia-hmc", "HGX-22.10-1-rc100", "HGX-22.10-1-rc99", 1),
    ("nvidia-hmc", "HGX-22.10-1-rc77", "HGX-22.10-1-rc80", -1),
    ("nvidia-hmc", "HGX-22.10-1", "HGX-22.10-1-rc100", 1),
    ("nvidia-hmc", "HGX-22.10-2-rc1", "HGX-22.10-1", 1),
    ("nvidia-hmc", "HGX-23.01-1-rc1", "HGX-22.12-9", 1),
    ("nvidia-hmc", "GB200Nvl-25.08-9", "GB200NVL-25.08-10", -1),
    ("nvidia-hmc", "GH-24.01-6", "GH-24.01-6", 0),
    ("nvidia-hmc", "hgx-22.10-1-RC77", "HGX-22.10-1-rc77", 0),
    # hpe
    ("hpe", "iLO 5 v2.55p23 built on Oct 01 2021", "iLO 5 v2.18", 1),
    ("hpe", "iLO 5 v2.55p23", "iLO 5 v2.55", 1),
    ("hpe", "iLO 5 v2.81", "iLO5 v2.9", 1),
    ("hpe", "U30 v2.90 (07/20/2023)", "U30 v2.72", 1),
    ("hpe", "2.96 Aug 17 2023", "2.81", 1),
    ("hpe-rom", "P89 v2.64 (10/17/2018)", "P89 v2.64", 0),
    # openbmc
    ("openbmc", "v1.99.0-353-ga3b8a0a", "v1.99.0-300-gffffff0", 1),
    ("openbmc", "v1.99.0-353-ga3b8a0a-dirty", "v1.99.0-353-g0000000", 0),
    ("openbmc", "2.14.0-dev-1234-gabcdef0", "2.14.0", -1),
    ("openbmc", "2.14.0-dev-1234-gabcdef0", "2.13.0-900-gabcdef0", 1),
    ("openbmc", "2.14.0-rc1-5-gabcdef0", "2.14.0-dev-9999-gabcdef0", 1),
    ("openbmc", "2.14.0-rc2", "2.14.0-rc10", -1),
    ("openbmc", "v4.44-0-g1eaa82ef8a-s8030", "v4.43-20-g1eaa82e", 1),
    ("openbmc", "2.17.0-1-g5c8e1a4", "v2.16.0", 1),
    # erot / inforom / lenovo / bluefield
    ("erot", "00.02.0192.0000_n00", "00.02.0100.0000_n00", 1),
    ("erot", "01.04.0031.0000_n04", "01.04.0008.0000_N04", 1),
    ("inforom", "G520.0205.00.02", "G520.0200.00.05", 1),
    ("inforom", "g520.0200.00.05", "G520.0200.00.05", 0),
    ("lenovo", "TEE142M-2.41", "TEE140A-2.40", 1),
    ("lenovo", "TEE142M-2.41", "TEE142K-2.41", 1),
    ("bluefield", "2.8.2-46", "2.8.2-51", -1),
    ("bluefield", "23.10", "23.09", 1),
    # exact
    ("exact", " abc-1 ", "abc-1", 0),
]


@pytest.mark.parametrize(("scheme", "a", "b", "expected"), ORDER_TABLE)
def test_order_table(scheme: str, a: str, b: str, expected: int) -> None:
    assert compare(scheme, a, b) == expected
    assert compare(scheme, b, a) == -expected


# (scheme, a, b): refused as different lines / shapes
CROSS_LINE = [
    ("hex-dotted", "96.00.5E.00.01", "97.00.5E.00.01"),  # Hopper vs Blackwell
    ("hex-dotted", "96.00.5E.00.01", "96.10.69.00.01"),  # GPU vs NVSwitch
    ("hex-dotted", "96.00.5E", "96.00.5E.00.01"),  # field count
    ("hpe", "iLO 5 v2.81", "iLO 4 v2.53"),
    ("hpe", "U30 v2.90", "P89 v2.64"),
    ("hpe", "iLO 5 v2.81", "2.81"),
    ("nvidia-hmc", "HGX-22.10-1-rc77", "GB200Nvl-25.08-9"),
    ("erot", "00.02.0192.0000_n00", "01.04.0008.0000_n04"),
    ("inforom", "G520.0200.00.05", "1010.0210.00.02"),
    ("lenovo", "TEE142M-2.41", "TEI384J-2.41"),
    ("dotted", "2.72", "2.72.0"),
    ("bluefield", "2.8.2-51", "23.10"),
    ("exact", "a", "b"),
]


@pytest.mark.parametrize(("scheme", "a", "b"), CROSS_LINE)
def test_cross_line_refused(scheme: str, a: str, b: str) -> None:
    with pytest.raises(VersionLineMismatch):
        compare(scheme, a, b)
    with pytest.raises(VersionError):
        is_at_least(scheme, a, b)


GARBAGE = [
    ("dotted", "U30 v2.72"),
    ("dotted", "1.2.3a"),
    ("dotted", "1..2"),
    ("dotted", ""),
    ("dotted", "   "),
    ("dotted", "2.8.2-rc1"),
    ("hex-dotted", "96.00.5G.00.01"),
    ("hex-dotted", "96"),
    ("hex-dotted", "0x96.00"),
    ("dell", "7.10.30"),
    ("hpe", "iLO 5 v2.72 beta"),
    ("hpe", "iLO v2.72"),
    ("openbmc", "v1.99.0-353"),
    ("openbmc", "2.8.2-51"),
    ("nvidia-hmc", "GB200Nvl-25.01-E"),
    ("nvidia-hmc", "HGX-22.10-1-rc"),
    ("nvidia-hmc", "22.10-1-rc77"),
    ("erot", "00.02.0192.0000"),
    ("erot", "00.02.019A.0000_n00"),
    ("inforom", "G520.0200.00"),
    ("lenovo", "2.41"),
    ("bluefield", "2.8.2"),
    ("exact", ""),
    ("dotted", "1.2\x00"),
    ("dotted", "1." * 200 + "1"),
]


@pytest.mark.parametrize(("scheme", "text"), GARBAGE)
def test_garbage_refused(scheme: str, text: str) -> None:
    with pytest.raises(UnparseableVersion):
        parse_version(scheme, text)


def test_non_string_refused() -> None:
    for bad in (None, 2.53, 7, b"1.2", ["1"]):
        with pytest.raises(UnparseableVersion):
            parse_version("dotted", bad)  # type: ignore[arg-type]


def test_unknown_scheme() -> None:
    with pytest.raises(UnknownScheme):
        parse_version("semver-ish", "1.2.3")
    with pytest.raises(VersionError):
        compare("nope", "1", "1")
    assert canonical_scheme(" NVIDIA-VBIOS-HEX ") == "hex-dotted"


def test_version_fields() -> None:
    v = parse_version("hex-dotted", "96.00.5e.00.01")
    assert v == Version("hex-dotted", "96.00", (0x96, 0, 0x5E, 0, 1), "96.00.5e.00.01")
    assert parse_version("nvidia-hmc", "GB200Nvl-25.08-9").line == "GB200NVL"
    assert parse_version("hpe", "iLO5 v2.72").line == "iLO 5"
    assert parse_version("hpe", "U30 v2.90 (07/20/2023)").line == "U30"
    assert parse_version("erot", "00.02.0192.0000_n00").line == "n00"
    assert parse_version("inforom", "G520.0200.00.05").line == "G520"
    assert parse_version("lenovo", "TEE142M-2.41").line == "TEE"
    assert parse_version("dotted", " 2.53 ").raw == "2.53"
    assert str(parse_version("dotted", "2.53")) == "2.53"


def test_compare_accepts_parsed_versions() -> None:
    a = parse_version("hex-dotted", "96.00.9A")
    assert compare("hex-dotted", a, "96.00.10") == 1
    with pytest.raises(VersionError):
        compare("dotted", a, "1.0")


def test_ranges() -> None:
    r = parse_range("dotted", ">=12.0, <12.7")
    assert r.contains("12.0") and r.contains("12.6") and not r.contains("12.7") and not r.contains("11.9")
    assert r.same_line(parse_version("dotted", "13.4")) and not r.same_line(parse_version("dotted", "13.4.1"))
    with pytest.raises(VersionLineMismatch):
        r.contains("12.5.1")
    assert parse_range("hex-dotted", "<96.00.5E.00.00").contains("96.00.5C.00.03")
    assert parse_range("exact", "==abc").contains("abc")
    for bad in ("", "12.0", ">=12.0,", "=>12.0", ">=12.0, <12.7.1"):
        with pytest.raises(VersionError):
            parse_range("dotted", bad)
    with pytest.raises(VersionError):
        parse_range("exact", "<abc")


# ------------------------------------------------------------------------------------------
# Hypothesis
# ------------------------------------------------------------------------------------------

ALL_SCHEMES = sorted(SCHEMES)


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(ALL_SCHEMES), text=st.text(max_size=80))
def test_parse_never_raises_other_errors(scheme: str, text: str) -> None:
    try:
        v = parse_version(scheme, text)
    except VersionError:
        return
    assert v.scheme == scheme
    assert v.raw == text.strip()
    assert all(isinstance(k, int) for k in v.key)


@settings(max_examples=200, deadline=None)
@given(
    scheme=st.sampled_from(ALL_SCHEMES),
    text=st.from_regex(r"[0-9A-Za-z .\-_()/]{0,40}", fullmatch=True),
)
def test_parse_version_like_text(scheme: str, text: str) -> None:
    with contextlib.suppress(VersionError):
        parse_version(scheme, text)


def _hex_field(n: int, upper: bool) -> str:
    s = f"{n:02x}"
    return s.upper() if upper else s


hex_versions = st.builds(
    lambda fields, upper: ".".join(_hex_field(f, upper) for f in fields),
    st.lists(st.integers(0, 255), min_size=5, max_size=5).map(lambda f: [0x96, 0x00, *f[2:]]),
    st.booleans(),
)
hmc_versions = st.builds(
    lambda prod, yy, mm, n, rc: f"{prod}-{yy:02d}.{mm:02d}-{n}" + (f"-rc{rc}" if rc is not None else ""),
    st.sampled_from(["HGX", "hgx"]),
    st.integers(22, 26),
    st.integers(1, 12),
    st.integers(0, 12),
    st.one_of(st.none(), st.integers(0, 200)),
)
dotted_versions = st.lists(st.integers(0, 30), min_size=3, max_size=3).map(lambda f: ".".join(map(str, f)))
openbmc_versions = st.builds(
    lambda maj, mi, stage, commits: f"v{maj}.{mi}.0{stage}-{commits}-gabc1234",
    st.integers(1, 3),
    st.integers(0, 20),
    st.sampled_from(["", "-dev", "-rc1", "-rc12"]),
    st.integers(0, 500),
)
erot_versions = st.builds(
    lambda a, b, c, d: f"{a:02d}.{b:02d}.{c:04d}.{d:04d}_n00",
    st.integers(0, 3),
    st.integers(0, 9),
    st.integers(0, 9999),
    st.integers(0, 3),
)
hpe_versions = st.builds(
    lambda maj, mi, p: f"iLO 5 v{maj}.{mi:02d}" + (f"p{p}" if p else ""),
    st.integers(1, 3),
    st.integers(0, 99),
    st.integers(0, 30),
)

GENERATED = {
    "hex-dotted": hex_versions,
    "nvidia-hmc": hmc_versions,
    "dotted": dotted_versions,
    "openbmc": openbmc_versions,
    "erot": erot_versions,
    "hpe": hpe_versions,
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), scheme=st.sampled_from(sorted(GENERATED)))
def test_total_order_within_a_line(data: st.DataObject, scheme: str) -> None:
    texts = data.draw(st.lists(GENERATED[scheme], min_size=3, max_size=8))
    vs = [parse_version(scheme, t) for t in texts]
    assert len({(v.line, len(v.key)) for v in vs}) == 1  # all generated on one line
    for a in vs:
        assert compare(scheme, a, a) == 0
    for a, b in itertools.product(vs, repeat=2):
        assert compare(scheme, a, b) == -compare(scheme, b, a)  # antisymmetric
    for a, b, c in itertools.product(vs, repeat=3):
        if compare(scheme, a, b) <= 0 and compare(scheme, b, c) <= 0:
            assert compare(scheme, a, c) <= 0  # transitive
    # sorting with compare yields a consistent chain
    import functools

    ordered = sorted(vs, key=functools.cmp_to_key(lambda x, y: compare(scheme, x, y)))
    for x, y in itertools.pairwise(ordered):
        assert compare(scheme, x, y) <= 0


@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.integers(0, 255), min_size=3, max_size=3),
    b=st.lists(st.integers(0, 255), min_size=3, max_size=3),
    ua=st.booleans(),
    ub=st.booleans(),
)
def test_hex_order_is_numeric(a: list[int], b: list[int], ua: bool, ub: bool) -> None:
    ta = "96.00." + ".".join(_hex_field(x, ua) for x in a)
    tb = "96.00." + ".".join(_hex_field(x, ub) for x in b)
    assert compare("hex-dotted", ta, tb) == (a > b) - (a < b)


@settings(max_examples=200, deadline=None)
@given(
    n1=st.integers(0, 5),
    n2=st.integers(0, 5),
    r1=st.one_of(st.none(), st.integers(0, 300)),
    r2=st.one_of(st.none(), st.integers(0, 300)),
)
def test_hmc_rc_semantics(n1: int, n2: int, r1: int | None, r2: int | None) -> None:
    def model(n: int, r: int | None) -> tuple[int, int, int]:
        return (n, 1, 0) if r is None else (n, 0, r)

    def text(n: int, r: int | None) -> str:
        return f"HGX-22.10-{n}" + ("" if r is None else f"-rc{r}")

    ka, kb = model(n1, r1), model(n2, r2)
    assert compare("nvidia-hmc", text(n1, r1), text(n2, r2)) == (ka > kb) - (ka < kb)
