"""Signing and verify-then-parse loading."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oobaudit.baseline.model as model_mod
from oobaudit.baseline import signing
from oobaudit.baseline.signing import (
    DEMO_KEY_IDS,
    ENV_TRUSTED_KEYS,
    BaselineNameMismatch,
    BaselineRejected,
    BaselineRollback,
    ExpiredBaseline,
    MalformedBaseline,
    TamperedBaseline,
    TrustedKeys,
    TrustStoreError,
    UnknownSigningKey,
    UnsignedBaseline,
    UntrustedKeyLocation,
    baselines_root,
    describe,
    key_id_of,
    keygen,
    sign,
    sign_bytes,
    signature_path,
    verify_and_load,
    verify_bytes,
)
from oobaudit.baseline.versions import VersionError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "baselines"
DEMO_KEYS = REPO / "oobaudit" / "data" / "trusted-keys-demo"
TODAY = date(2026, 12, 1)

BASELINE = b"""\
name: lab
version: 3
issued: 2026-11-01
expires: 2027-05-01
components:
  - {id: "HGX_FW_GPU_SXM_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("keys")
    priv, pub = keygen(d / "trusted", "site-2026")
    opriv, opub = keygen(d / "other", "attacker")
    return {"priv": priv, "pub": pub, "dir": d / "trusted", "other_priv": opriv, "other_dir": d / "other"}


@pytest.fixture
def signed(tmp_path: Path, keys: dict[str, Path]) -> Path:
    bdir = tmp_path / "baselines"
    bdir.mkdir()
    p = bdir / "lab.yaml"
    p.write_bytes(BASELINE)
    sign(p, keys["priv"])
    return p


@pytest.fixture
def trusted(keys: dict[str, Path]) -> TrustedKeys:
    return TrustedKeys.from_dir(keys["dir"])


def test_keygen_files(keys: dict[str, Path]) -> None:
    assert stat.S_IMODE(os.stat(keys["priv"]).st_mode) == 0o600
    assert keys["pub"].read_text().startswith("# oobaudit baseline signing key 'site-2026', key id ")
    with pytest.raises(FileExistsError):
        keygen(keys["dir"], "site-2026")
    with pytest.raises(ValueError):
        keygen(keys["dir"], "../escape")


def test_roundtrip(signed: Path, trusted: TrustedKeys, keys: dict[str, Path]) -> None:
    vb = verify_and_load(signed, trusted, today=TODAY)
    assert vb.baseline.name == "lab" and vb.version == 3 and vb.signed
    assert vb.key_id == trusted.key_ids[0] and len(vb.key_id) == 16
    assert vb.data == BASELINE and vb.sha256 == __import__("hashlib").sha256(BASELINE).hexdigest()
    assert vb.warnings == []
    doc = json.loads(signature_path(signed).read_text())
    assert doc["algorithm"] == "ed25519" and doc["key_id"] == vb.key_id
    assert "lab" in describe(vb)


def test_tamper_one_byte_refused(signed: Path, trusted: TrustedKeys) -> None:
    data = bytearray(signed.read_bytes())
    i = data.index(b"BC")
    data[i] = ord("A")  # 96.00.BC -> 96.00.AC: a weaker minimum
    signed.write_bytes(bytes(data))
    with pytest.raises(TamperedBaseline, match="changed since it was signed"):
        verify_and_load(signed, trusted, today=TODAY)


def test_tamper_with_matching_digest_still_refused(signed: Path, trusted: TrustedKeys) -> None:
    """An attacker who also rewrites the sha256 in the .sig still fails the signature."""
    import hashlib

    new = signed.read_bytes().replace(b"BC", b"AC")
    signed.write_bytes(new)
    sp = signature_path(signed)
    doc = json.loads(sp.read_text())
    doc["sha256"] = hashlib.sha256(new).hexdigest()
    sp.write_text(json.dumps(doc))
    with pytest.raises(TamperedBaseline, match="does not verify"):
        verify_and_load(signed, trusted, today=TODAY)


def test_every_single_byte_flip_refused(signed: Path, trusted: TrustedKeys) -> None:
    data = signed.read_bytes()
    sig = signature_path(signed).read_bytes()
    for i in range(0, len(data), 7):
        mutated = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        with pytest.raises(TamperedBaseline):
            verify_bytes(mutated, sig, trusted, today=TODAY)


def test_signature_bytes_tampered(signed: Path, trusted: TrustedKeys) -> None:
    sp = signature_path(signed)
    doc = json.loads(sp.read_text())
    raw = bytearray(__import__("base64").b64decode(doc["signature"]))
    raw[0] ^= 0xFF
    doc["signature"] = __import__("base64").b64encode(bytes(raw)).decode()
    sp.write_text(json.dumps(doc))
    with pytest.raises(TamperedBaseline):
        verify_and_load(signed, trusted, today=TODAY)


def test_rollback_refused(signed: Path, trusted: TrustedKeys) -> None:
    assert verify_and_load(signed, trusted, today=TODAY, highest_seen=lambda n: 3).version == 3  # equal ok
    assert verify_and_load(signed, trusted, today=TODAY, highest_seen=lambda n: None).version == 3
    seen = {"lab": 4}
    with pytest.raises(BaselineRollback, match="older than version 4"):
        verify_and_load(signed, trusted, today=TODAY, highest_seen=seen.get)


def test_expired_refused_or_warned(signed: Path, trusted: TrustedKeys) -> None:
    later = date(2027, 5, 2)
    with pytest.raises(ExpiredBaseline, match="expired on 2027-05-01"):
        verify_and_load(signed, trusted, today=later)
    vb = verify_and_load(signed, trusted, today=later, expired="warn")
    assert any("EXPIRED" in w for w in vb.warnings)
    # the expiry day itself is still valid, with a heads-up
    vb = verify_and_load(signed, trusted, today=date(2027, 5, 1))
    assert any("expires on" in w for w in vb.warnings)
    vb = verify_and_load(signed, trusted, today=date(2026, 10, 1))
    assert any("future" in w for w in vb.warnings)


def test_wrong_key_refused(signed: Path, keys: dict[str, Path]) -> None:
    other = TrustedKeys.from_dir(keys["other_dir"])
    with pytest.raises(UnknownSigningKey, match="not a trusted key"):
        verify_and_load(signed, other, today=TODAY)
    # signed by the attacker's key while the site key is trusted
    sign(signed, keys["other_priv"])
    with pytest.raises(UnknownSigningKey):
        verify_and_load(signed, TrustedKeys.from_dir(keys["dir"]), today=TODAY)


def test_key_id_collision_cannot_forge(signed: Path, keys: dict[str, Path], trusted: TrustedKeys) -> None:
    """A .sig claiming the trusted key id but made with another key fails verification."""
    attacker = Ed25519PrivateKey.generate()
    sig = json.loads(sign_bytes(signed.read_bytes(), attacker))
    sig["key_id"] = trusted.key_ids[0]
    with pytest.raises(TamperedBaseline):
        verify_bytes(signed.read_bytes(), json.dumps(sig).encode(), trusted, today=TODAY)


def test_unsigned_refused_unless_allowed(signed: Path, trusted: TrustedKeys, monkeypatch) -> None:
    signature_path(signed).unlink()
    with pytest.raises(UnsignedBaseline):
        verify_and_load(signed, trusted, today=TODAY)
    vb = verify_and_load(signed, trusted, today=TODAY, allow_unsigned=True)
    assert not vb.signed and vb.key_id is None
    assert any("UNSIGNED" in w for w in vb.warnings)


def test_unsigned_bytes_never_parsed(trusted: TrustedKeys, monkeypatch) -> None:
    """Verification happens before YAML parsing: refused bytes never reach the parser."""
    calls: list[bytes] = []
    real = signing.parse_baseline_yaml

    def spy(data):
        calls.append(data)
        return real(data)

    monkeypatch.setattr(signing, "parse_baseline_yaml", spy)
    with pytest.raises(UnsignedBaseline):
        verify_bytes(BASELINE, None, trusted, today=TODAY)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(UnknownSigningKey):
        verify_bytes(BASELINE, sign_bytes(BASELINE, other), trusted, today=TODAY)
    with pytest.raises(MalformedBaseline):
        verify_bytes(BASELINE, b"not json", trusted, today=TODAY)
    assert calls == []


def test_bad_signature_refused_even_if_unsigned_allowed(signed: Path, trusted: TrustedKeys) -> None:
    signed.write_bytes(signed.read_bytes() + b"# extra\n")
    with pytest.raises(TamperedBaseline):
        verify_and_load(signed, trusted, today=TODAY, allow_unsigned=True)


def test_trusted_keys_inside_baselines_dir_refused(signed: Path, keys: dict[str, Path]) -> None:
    bdir = signed.parent
    # attacker drops their key beside the baseline and re-signs
    priv, _ = keygen(bdir / "keys", "dropped")
    sign(signed, priv)
    for keydir in (bdir / "keys",):
        with pytest.raises(UntrustedKeyLocation, match="must not live inside the baselines directory"):
            verify_and_load(signed, TrustedKeys.from_dir(keydir), today=TODAY)
    # a key file placed directly in baselines/
    (bdir / "k.pub").write_bytes((bdir / "keys" / "dropped.pub").read_bytes())
    with pytest.raises(UntrustedKeyLocation):
        verify_and_load(signed, TrustedKeys.from_dir(bdir), today=TODAY)
    with pytest.raises(UntrustedKeyLocation):
        verify_and_load(signed, TrustedKeys.from_files([bdir / "k.pub"]), today=TODAY)
    assert isinstance(UntrustedKeyLocation("x", "y"), BaselineRejected)


def test_trusted_keys_via_symlink_into_baselines_refused(signed: Path, tmp_path: Path) -> None:
    keygen(signed.parent / "k", "x")
    link = tmp_path / "innocent-looking"
    link.symlink_to(signed.parent / "k")
    with pytest.raises(UntrustedKeyLocation):
        verify_and_load(signed, TrustedKeys.from_dir(link), today=TODAY)


def test_baselines_root(tmp_path: Path) -> None:
    assert baselines_root(tmp_path / "baselines" / "site-a" / "x.yaml") == (tmp_path / "baselines").resolve()
    assert baselines_root(tmp_path / "policy" / "x.yaml") == (tmp_path / "policy").resolve()


def test_name_mismatch(signed: Path, trusted: TrustedKeys) -> None:
    assert verify_and_load(signed, trusted, today=TODAY, expected_name="lab").name == "lab"
    with pytest.raises(BaselineNameMismatch):
        verify_and_load(signed, trusted, today=TODAY, expected_name="other-fleet")


def test_sign_refuses_invalid_baseline(tmp_path: Path, keys: dict[str, Path]) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nversion: 1\n")
    with pytest.raises(MalformedBaseline, match="refusing to sign"):
        sign(p, keys["priv"])
    assert not signature_path(p).exists()


def test_valid_signature_over_invalid_content(tmp_path: Path, keys: dict[str, Path], trusted: TrustedKeys) -> None:
    p = tmp_path / "p" / "x.yaml"
    p.parent.mkdir()
    p.write_text("name: x\nversion: 1\nissued: 2026-01-01\nexpires: 2027-01-01\ncolour: red\n")
    sign(p, keys["priv"], validate=False)
    with pytest.raises(MalformedBaseline) as ei:
        verify_and_load(p, trusted, today=TODAY)
    assert ei.value.problems[0][0] == "colour"


def test_encrypted_private_key(tmp_path: Path) -> None:
    priv, _ = keygen(tmp_path / "k", "enc", passphrase=b"correct horse")
    assert b"ENCRYPTED" in priv.read_bytes()
    p = tmp_path / "b" / "lab.yaml"
    p.parent.mkdir()
    p.write_bytes(BASELINE)
    with pytest.raises(ValueError):
        sign(p, priv)
    sign(p, priv, passphrase=b"correct horse")
    assert verify_and_load(p, TrustedKeys.from_dir(tmp_path / "k"), today=TODAY).signed


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="minisign"),
        lambda d: d.update(algorithm="rsa"),
        lambda d: d.update(payload_type="application/vnd.oobaudit.waiver+yaml;v=1"),
        lambda d: d.update(key_id="XYZ"),
        lambda d: d.update(signature="!!!"),
        lambda d: d.update(signature="AAAA"),
        lambda d: d.update(extra=1),
        lambda d: d.pop("sha256"),
    ],
)
def test_malformed_signature_file(signed: Path, trusted: TrustedKeys, mutate) -> None:
    sp = signature_path(signed)
    doc = json.loads(sp.read_text())
    mutate(doc)
    sp.write_text(json.dumps(doc))
    with pytest.raises(MalformedBaseline):
        verify_and_load(signed, trusted, today=TODAY)


def test_duplicate_field_in_signature(signed: Path, trusted: TrustedKeys) -> None:
    sp = signature_path(signed)
    text = sp.read_text().replace('"algorithm": "ed25519",', '"algorithm": "ed25519", "algorithm": "ed25519",')
    sp.write_text(text)
    with pytest.raises(MalformedBaseline, match="duplicate"):
        verify_and_load(signed, trusted, today=TODAY)


def test_oversized_file_refused(signed: Path, trusted: TrustedKeys) -> None:
    signed.write_bytes(b"#" * (model_mod.MAX_BASELINE_BYTES + 1))
    with pytest.raises(MalformedBaseline, match="larger"):
        verify_and_load(signed, trusted, today=TODAY)


def test_trust_store_errors(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(TrustStoreError):
        TrustedKeys.from_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrustStoreError, match="no \\*.pub"):
        TrustedKeys.from_dir(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.pub").write_text("hello")
    with pytest.raises(TrustStoreError, match="not a PEM public key"):
        TrustedKeys.from_dir(tmp_path / "bad")
    monkeypatch.delenv(ENV_TRUSTED_KEYS, raising=False)
    with pytest.raises(TrustStoreError, match=ENV_TRUSTED_KEYS):
        TrustedKeys.from_env_or(None)


def test_rsa_key_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "r.pub").write_bytes(
        k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(TrustStoreError, match="not an Ed25519"):
        TrustedKeys.from_dir(tmp_path)


def test_from_env_or(keys: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_TRUSTED_KEYS, f"{keys['dir']}{os.pathsep}{keys['other_dir']}")
    tk = TrustedKeys.from_env_or(tmp_path / "ignored")
    assert len(tk) == 2 and len(tk.locations) == 2
    monkeypatch.setenv(ENV_TRUSTED_KEYS, "")
    assert len(TrustedKeys.from_env_or(keys["dir"])) == 1


# ------------------------------------------------------------------------------------------
# The shipped examples and the demo key
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hgx-h100", "generic-bmc"])
def test_examples_verify_with_demo_key(name: str, monkeypatch) -> None:
    monkeypatch.delenv(ENV_TRUSTED_KEYS, raising=False)
    demo = TrustedKeys.from_env_or(DEMO_KEYS)
    vb = verify_and_load(EXAMPLES / f"{name}.yaml", demo, today=TODAY, expected_name=name)
    assert vb.key_id in DEMO_KEY_IDS
    assert any("DEMO key" in w for w in vb.warnings)


def test_demo_key_pair_matches() -> None:
    from cryptography.hazmat.primitives import serialization

    priv = serialization.load_pem_private_key((EXAMPLES / "DEMO-KEY-DO-NOT-USE.key").read_bytes(), None)
    assert isinstance(priv, Ed25519PrivateKey)
    assert key_id_of(priv.public_key()) in DEMO_KEY_IDS
    assert {k.key_id for k in TrustedKeys.from_dir(DEMO_KEYS)} == set(DEMO_KEY_IDS)
    assert not list(EXAMPLES.rglob("*.pub"))  # no trusted keys under baselines/


def test_hgx_example_judges_mock_firmware() -> None:
    from oobaudit.baseline.model import evaluate_version, missing_required, rule_for, unknown_components

    vb = verify_and_load(EXAMPLES / "hgx-h100.yaml", TrustedKeys.from_dir(DEMO_KEYS), today=TODAY)
    b = vb.baseline
    fw = {f"HGX_FW_GPU_SXM_{i}": "96.00.BC.00.01" for i in range(1, 9)}
    fw |= {f"HGX_FW_ERoT_GPU_SXM_{i}": "00.02.0192.0000_n00" for i in range(1, 9)}
    fw |= {"HGX_FW_ERoT_BMC_0": "00.02.0192.0000_n00", "HGX_FW_ERoT_FPGA_0": "00.02.0192.0000_n00"}
    fw |= {f"HGX_FW_NVSwitch_{i}": "96.10.69.00.01" for i in range(4)}
    fw |= {f"HGX_InfoROM_GPU_SXM_{i}": "G520.0200.00.05" for i in range(1, 9)}
    fw |= {f"HGX_FW_PCIeRetimer_{i}": "2.7.20" for i in range(8)}
    fw |= {"HGX_FW_FPGA_0": "2.53", "HGX_FW_PCIeSwitch_0": "1.9.5F", "HGX_FW_BMC_0": "HGX-22.10-1-rc77"}
    for fid, ver in fw.items():
        rule = rule_for(b, fid)
        assert rule is not None, fid
        assert evaluate_version(rule, ver).status == "pass", (fid, ver)
    assert unknown_components(b, fw) == [] and missing_required(b, fw) == []
    gpu = rule_for(b, "HGX_FW_GPU_SXM_3")
    assert evaluate_version(gpu, "96.00.5E.00.01").status == "fail"
    assert evaluate_version(gpu, "96.00.5C.00.03").status == "fail"
    hmc = rule_for(b, "HGX_FW_BMC_0")
    v = evaluate_version(hmc, "HGX-22.10-1-rc63")
    assert v.status == "fail" and v.denied and v.denied[0].denied.cve == ["CVE-2024-0114"]
    s = b.effective_settings()
    assert s.attestation[0].id == "HGX_ERoT_*" and s.password_min_length == 14


# ------------------------------------------------------------------------------------------
# Hypothesis: arbitrary input never escapes the BaselineRejected / VersionError families
# ------------------------------------------------------------------------------------------

_HYP_KEY = Ed25519PrivateKey.generate()
_HYP_TRUST = TrustedKeys.from_public_keys([_HYP_KEY.public_key()])


def _check(data: bytes, sig: bytes | None, allow_unsigned: bool) -> None:
    with contextlib.suppress(BaselineRejected, VersionError):
        verify_bytes(data, sig, _HYP_TRUST, allow_unsigned=allow_unsigned, today=TODAY, expired="warn")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), sig=st.one_of(st.none(), st.binary(max_size=300)), allow=st.booleans())
def test_loader_arbitrary_bytes(data: bytes, sig: bytes | None, allow: bool) -> None:
    _check(data, sig, allow)


yamlish = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)),
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=12), kids, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    head=st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(st.text(max_size=10), st.just("ok")),
            "version": st.one_of(st.integers(-2, 5), st.text(max_size=3)),
            "issued": st.one_of(st.dates(), st.text(max_size=12)),
            "expires": st.dates(),
            "components": st.lists(
                st.fixed_dictionaries(
                    {
                        "id": st.text(max_size=8),
                        "class": st.sampled_from(["bmc", "gpu-vbios", "x"]),
                        "scheme": st.sampled_from(["dotted", "hex-dotted", "nvidia-hmc", "exact", "nope"]),
                    },
                    optional={"min": st.text(max_size=16), "allowed": st.lists(st.text(max_size=8), max_size=2)},
                ),
                max_size=3,
            ),
            "settings": st.dictionaries(st.sampled_from(["ipmi_allowed", "services_off", "x"]), yamlish, max_size=2),
        },
    ),
    junk=yamlish,
)
def test_loader_signed_arbitrary_yaml(head: dict, junk: object) -> None:
    """Correctly signed but arbitrary content reaches the parser; it must still only raise
    BaselineRejected (MalformedBaseline) or load."""
    import yaml

    try:
        text = yaml.safe_dump({**head, **({"junk": junk} if isinstance(junk, dict) else {})}).encode()
    except Exception:  # noqa: BLE001 - not every generated object is dumpable; not under test
        return
    for data in (text, text[: len(text) // 2]):
        _check(data, sign_bytes(data, _HYP_KEY), False)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=600))
def test_loader_signed_arbitrary_bytes(data: bytes) -> None:
    _check(data, sign_bytes(data, _HYP_KEY), False)
