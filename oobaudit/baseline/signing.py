"""Baseline signing and verification (Ed25519, detached, over the exact file bytes).

Design (``reference/firmware-baselines.md`` §5.2-5.3, adapted to YAML baselines):

* **What is signed**: the exact bytes of ``FILE`` (no re-serialisation, so what is verified is
  what is parsed), wrapped in a DSSE-style pre-authentication encoding::

      b"DSSEv1 " + len(type) + b" " + type + b" " + len(body) + b" " + body

  with ``type = "application/vnd.oobaudit.baseline+yaml;v=1"``.  The type prefix means a
  signature made with the same key over some other kind of file cannot be replayed as a
  baseline signature.
* **Signature file** ``FILE.sig``: a small JSON object (UTF-8, unknown or duplicate fields
  refused)::

      {"format": "oobaudit-signature/1", "algorithm": "ed25519",
       "payload_type": "application/vnd.oobaudit.baseline+yaml;v=1",
       "key_id": "<16 hex>", "sha256": "<hex sha256 of FILE>", "signature": "<base64, 64 bytes>"}

  ``sha256`` is informational (it lets a human match a file to its signature); only
  ``signature`` is trusted, and only after it verifies.
* **Key id**: the first 16 hex digits of SHA-256 over the raw 32-byte Ed25519 public key.
* **Keys**: private key = PKCS#8 PEM (optionally passphrase-encrypted), mode 0600; public key =
  SubjectPublicKeyInfo PEM ``NAME.pub`` (``#`` comment lines before the PEM block are allowed).
* **Trust**: :class:`TrustedKeys` loads ``*.pub`` files from directories that must lie
  **outside** the baselines directory of the file being verified (see
  :func:`check_key_location`).

Verification order in :func:`verify_bytes` (every refusal is a :class:`BaselineRejected`
subclass): size cap → signature present (else :class:`UnsignedBaseline` unless
``allow_unsigned``) → signature file well-formed → key id trusted (:class:`UnknownSigningKey`)
→ signature valid (:class:`TamperedBaseline`) → **only then** UTF-8 decode + YAML parse +
schema validation (:class:`MalformedBaseline`) → expected name (:class:`BaselineNameMismatch`)
→ rollback against the highest version seen (:class:`BaselineRollback`) → expiry
(:class:`ExpiredBaseline`, or a warning with ``expired="warn"``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .model import MAX_BASELINE_BYTES, Baseline, BaselineSyntaxError, effective_settings, parse_baseline_yaml

__all__ = [
    "DEMO_KEY_IDS",
    "ENV_TRUSTED_KEYS",
    "PAYLOAD_TYPE",
    "SIG_FORMAT",
    "SIG_SUFFIX",
    "BaselineNameMismatch",
    "BaselineRejected",
    "BaselineRollback",
    "ExpiredBaseline",
    "MalformedBaseline",
    "TamperedBaseline",
    "TrustStoreError",
    "TrustedKey",
    "TrustedKeys",
    "UnknownSigningKey",
    "UnsignedBaseline",
    "UntrustedKeyLocation",
    "VerifiedBaseline",
    "baselines_root",
    "check_key_location",
    "describe",
    "key_id_of",
    "keygen",
    "pae",
    "read_signature",
    "sign",
    "sign_bytes",
    "signature_path",
    "verify_and_load",
    "verify_bytes",
]

PAYLOAD_TYPE = "application/vnd.oobaudit.baseline+yaml;v=1"
SIG_FORMAT = "oobaudit-signature/1"
SIG_SUFFIX = ".sig"
ENV_TRUSTED_KEYS = "OOBAUDIT_TRUSTED_KEYS"
MAX_SIG_BYTES = 16 * 1024
MAX_KEY_BYTES = 64 * 1024
#: Warn this many days before a baseline expires.
EXPIRY_WARNING_DAYS = 14

#: Key ids of the published DEMO key (``oobaudit/data/trusted-keys-demo/demo-2026.pub``; its
#: private key is committed in ``baselines/``, so anyone can sign with it).  A baseline signed
#: by one of these always carries a loud warning.
DEMO_KEY_IDS = frozenset({"a43016a65f38c7cc"})

_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SIG_FIELDS = {"format", "algorithm", "payload_type", "key_id", "sha256", "signature"}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class BaselineRejected(Exception):
    """A baseline (or the trust configuration needed to verify it) was refused.

    ``source`` names the file (or ``"<bytes>"``); ``reason`` is the message without it.
    """

    def __init__(self, source: str | os.PathLike[str] | None, reason: str) -> None:
        self.source = str(source) if source is not None else None
        self.reason = reason
        super().__init__(f"{self.source}: {reason}" if self.source else reason)


class UnsignedBaseline(BaselineRejected):
    """No ``FILE.sig`` beside the baseline (and unsigned baselines were not allowed)."""


class TamperedBaseline(BaselineRejected):
    """The signature does not verify over these bytes: the file (or signature) was changed."""


class UnknownSigningKey(BaselineRejected):
    """Signed by a key id that is not in the trusted keys."""


class ExpiredBaseline(BaselineRejected):
    """Past its ``expires`` date (refused by default; a warning with ``expired="warn"``)."""


class BaselineRollback(BaselineRejected):
    """Its ``version`` is lower than the highest version already seen for its ``name``."""


class MalformedBaseline(BaselineRejected):
    """Signature file or (verified) baseline content is not well-formed; ``problems`` lists
    ``(field, message)`` for schema errors."""

    def __init__(self, source: Any, reason: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        super().__init__(source, reason)


class BaselineNameMismatch(BaselineRejected):
    """The signed ``name`` is not the one the caller asked for (substitution of another fleet's
    baseline)."""


class TrustStoreError(BaselineRejected):
    """The trusted-key configuration is unusable (missing directory, no keys, bad key file)."""


class UntrustedKeyLocation(TrustStoreError):
    """A trusted key lives inside the baselines directory of the file being verified."""


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def _raw_public(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(pub: Ed25519PublicKey) -> str:
    """Short key id: first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(_raw_public(pub)).hexdigest()[:16]


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding of ``body`` under ``payload_type``."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


@dataclass(frozen=True)
class TrustedKey:
    key_id: str
    public_key: Ed25519PublicKey
    name: str
    path: Path | None = None

    @property
    def demo(self) -> bool:
        return self.key_id in DEMO_KEY_IDS


def _load_public_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        pub = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise TrustStoreError(where, f"not a PEM public key: {e}") from None
    if not isinstance(pub, Ed25519PublicKey):
        raise TrustStoreError(where, f"not an Ed25519 public key ({type(pub).__name__})")
    return pub


class TrustedKeys:
    """The set of public keys a baseline signature may verify against.

    Build it from directories of ``*.pub`` files that live **outside** the baselines directory:
    a trust anchor stored beside the files it vouches for protects nothing, because whoever can
    edit a baseline there can also drop their own key next to it and sign the edit.
    :func:`verify_and_load` enforces this (:class:`UntrustedKeyLocation`).
    """

    def __init__(self, keys: Iterable[TrustedKey] = (), locations: Iterable[Path] = ()) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for k in keys:
            self._keys.setdefault(k.key_id, k)
        self.locations: tuple[Path, ...] = tuple(locations)

    @classmethod
    def from_public_keys(cls, pubs: Iterable[Ed25519PublicKey], name: str = "key") -> TrustedKeys:
        """In-memory trust (tests, keys stored elsewhere): no file location to check."""
        return cls(TrustedKey(key_id_of(p), p, f"{name}-{i}") for i, p in enumerate(pubs))

    @classmethod
    def from_files(cls, paths: Iterable[str | os.PathLike[str]]) -> TrustedKeys:
        keys: list[TrustedKey] = []
        locs: list[Path] = []
        for p in paths:
            path = Path(p)
            try:
                if path.stat().st_size > MAX_KEY_BYTES:
                    raise TrustStoreError(path, "key file too large")
                data = path.read_bytes()
            except OSError as e:
                raise TrustStoreError(path, f"cannot read trusted key: {e.strerror or e}") from None
            pub = _load_public_key(data, str(path))
            keys.append(TrustedKey(key_id_of(pub), pub, path.stem, path))
            locs.append(path)
        if not keys:
            raise TrustStoreError(None, "no trusted keys given")
        return cls(keys, locs)

    @classmethod
    def from_dir(cls, directory: str | os.PathLike[str]) -> TrustedKeys:
        """Load every ``*.pub`` (PEM, Ed25519) directly in ``directory`` (not recursive)."""
        d = Path(directory)
        if not d.is_dir():
            raise TrustStoreError(d, "trusted-key directory does not exist or is not a directory")
        files = sorted(p for p in d.glob("*.pub") if p.is_file())
        if not files:
            raise TrustStoreError(d, "trusted-key directory holds no *.pub files")
        tk = cls.from_files(files)
        return cls(tk, [d])

    @classmethod
    def from_dirs(cls, directories: Iterable[str | os.PathLike[str]]) -> TrustedKeys:
        keys: list[TrustedKey] = []
        locs: list[Path] = []
        for d in directories:
            tk = cls.from_dir(d)
            keys.extend(tk)
            locs.extend(tk.locations)
        if not keys:
            raise TrustStoreError(None, "no trusted-key directories given")
        return cls(keys, locs)

    @classmethod
    def from_env_or(cls, default_dir: str | os.PathLike[str] | None = None) -> TrustedKeys:
        """Directories from ``$OOBAUDIT_TRUSTED_KEYS`` (``os.pathsep``-separated) if set and
        non-empty, else ``default_dir``.  Neither → :class:`TrustStoreError`."""
        env = os.environ.get(ENV_TRUSTED_KEYS, "").strip()
        if env:
            return cls.from_dirs(p for p in env.split(os.pathsep) if p.strip())
        if default_dir is None:
            raise TrustStoreError(None, f"no trusted keys: set {ENV_TRUSTED_KEYS} or pass a trusted-key directory")
        return cls.from_dir(default_dir)

    def get(self, key_id: str) -> TrustedKey | None:
        return self._keys.get(key_id)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)


def baselines_root(baseline_path: str | os.PathLike[str]) -> Path:
    """The "baselines directory" of a baseline file: the nearest ancestor directory named
    ``baselines``, or else the directory holding the file.  Paths are resolved (symlinks)."""
    p = Path(baseline_path).resolve()
    for parent in p.parents:
        if parent.name.lower() == "baselines":
            return parent
    return p.parent


def check_key_location(trusted_keys: TrustedKeys, baseline_path: str | os.PathLike[str]) -> None:
    """Refuse trusted keys that live inside the baselines directory of ``baseline_path``.

    Why: the signature is only worth something if the key that checks it is harder to change
    than the baseline.  An attacker who can edit files in ``baselines/`` (a writable share, a
    pull request touching that folder, a compromised sync job) could otherwise add their own
    ``*.pub`` next to the baseline, re-sign a weakened baseline and have it verify.
    """
    root = baselines_root(baseline_path)
    for loc in trusted_keys.locations:
        r = Path(loc).resolve()
        if r == root or root in r.parents:
            raise UntrustedKeyLocation(
                r,
                f"trusted keys must not live inside the baselines directory {root} "
                f"(whoever can edit a baseline there could also add a key beside it); "
                f"keep them elsewhere, e.g. set {ENV_TRUSTED_KEYS}",
            )


def keygen(out_dir: str | os.PathLike[str], name: str, *, passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Create an Ed25519 key pair: ``out_dir/NAME.key`` (PKCS#8 PEM, mode 0600, encrypted when a
    passphrase is given) and ``out_dir/NAME.pub`` (PEM).  Refuses to overwrite either file."""
    if not _KEY_NAME.fullmatch(name):
        raise ValueError("key name must be 1-64 characters of A-Z a-z 0-9 . _ -")
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    priv_path, pub_path = d / f"{name}.key", d / f"{name}.pub"
    for p in (priv_path, pub_path):
        if p.exists():
            raise FileExistsError(f"{p} already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    priv_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    pub = key.public_key()
    pub_pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, priv_pem)
    finally:
        os.close(fd)
    header = f"# oobaudit baseline signing key {name!r}, key id {key_id_of(pub)}\n".encode()
    fd = os.open(pub_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, header + pub_pem)
    finally:
        os.close(fd)
    return priv_path, pub_path


def _load_private_key(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as e:  # missing / unexpected passphrase
        raise ValueError(f"{path}: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key ({type(key).__name__})")
    return key


# --------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------


def signature_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(p.name + SIG_SUFFIX)


def sign_bytes(data: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The signature-file bytes for ``data`` (see the module docstring for the format)."""
    pub = private_key.public_key()
    sig = private_key.sign(pae(PAYLOAD_TYPE, data))
    doc = {
        "format": SIG_FORMAT,
        "algorithm": "ed25519",
        "payload_type": PAYLOAD_TYPE,
        "key_id": key_id_of(pub),
        "sha256": hashlib.sha256(data).hexdigest(),
        "signature": base64.b64encode(sig).decode("ascii"),
    }
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def sign(
    path: str | os.PathLike[str],
    private_key_path: str | os.PathLike[str],
    *,
    passphrase: bytes | None = None,
    validate: bool = True,
) -> Path:
    """Sign the exact bytes of ``path``; write ``path.sig`` atomically and return its path.

    With ``validate`` (the default) the file must first parse as a valid baseline, so a broken
    baseline is never signed (raises :class:`MalformedBaseline`).
    """
    p = Path(path)
    data = p.read_bytes()
    if len(data) > MAX_BASELINE_BYTES:
        raise MalformedBaseline(p, f"file larger than {MAX_BASELINE_BYTES} bytes")
    if validate:
        try:
            parse_baseline_yaml(data)
        except BaselineSyntaxError as e:
            raise MalformedBaseline(p, f"refusing to sign an invalid baseline: {e}", e.problems) from None
    key = _load_private_key(Path(private_key_path), passphrase)
    out = signature_path(p)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(sign_bytes(data, key))
    os.replace(tmp, out)
    return out


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedBaseline:
    """A baseline whose bytes verified (or, loudly, were allowed unsigned) and then parsed.

    ``data`` / ``signature`` are the exact verified bytes, for the store to keep with a sweep.
    """

    baseline: Baseline
    key_id: str | None
    sha256: str
    signed: bool
    data: bytes
    signature: bytes | None = None
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.baseline.name

    @property
    def version(self) -> int:
        return self.baseline.version


@dataclass(frozen=True)
class _SigDoc:
    key_id: str
    sha256: str
    signature: bytes


def _no_dup_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate field {k!r}")
        out[k] = v
    return out


def read_signature(sig: bytes, source: str | None = None) -> _SigDoc:
    """Parse signature-file bytes; raises :class:`MalformedBaseline`."""
    where = f"{source}{SIG_SUFFIX}" if source else "signature"
    if len(sig) > MAX_SIG_BYTES:
        raise MalformedBaseline(where, "signature file too large")
    try:
        doc = json.loads(sig.decode("utf-8"), object_pairs_hook=_no_dup_pairs)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise MalformedBaseline(where, f"signature file is not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise MalformedBaseline(where, "signature file must be a JSON object")
    extra, missing = set(doc) - _SIG_FIELDS, _SIG_FIELDS - set(doc)
    if extra or missing:
        raise MalformedBaseline(
            where, f"signature file fields wrong (unknown: {sorted(extra)}, missing: {sorted(missing)})"
        )
    if doc["format"] != SIG_FORMAT:
        raise MalformedBaseline(where, f"unsupported signature format {doc['format']!r} (want {SIG_FORMAT!r})")
    if doc["algorithm"] != "ed25519":
        raise MalformedBaseline(where, f"unsupported algorithm {doc['algorithm']!r} (want 'ed25519')")
    if doc["payload_type"] != PAYLOAD_TYPE:
        raise MalformedBaseline(where, f"signature is for payload type {doc['payload_type']!r}, not a baseline")
    kid, sha, sig_b64 = doc["key_id"], doc["sha256"], doc["signature"]
    if not isinstance(kid, str) or not re.fullmatch(r"[0-9a-f]{16}", kid):
        raise MalformedBaseline(where, "key_id must be 16 lower-case hex digits")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise MalformedBaseline(where, "sha256 must be 64 lower-case hex digits")
    if not isinstance(sig_b64, str):
        raise MalformedBaseline(where, "signature must be a base64 string")
    try:
        raw = base64.b64decode(sig_b64, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedBaseline(where, "signature is not valid base64") from None
    if len(raw) != 64:
        raise MalformedBaseline(where, f"an Ed25519 signature is 64 bytes, got {len(raw)}")
    return _SigDoc(kid, sha, raw)


def verify_bytes(
    data: bytes,
    sig: bytes | None,
    trusted_keys: TrustedKeys,
    *,
    allow_unsigned: bool = False,
    expired: Literal["refuse", "warn"] = "refuse",
    highest_seen: Callable[[str], int | None] | None = None,
    today: date | None = None,
    expected_name: str | None = None,
    source: str | None = "<bytes>",
    path: Path | None = None,
) -> VerifiedBaseline:
    """Verify ``data`` against detached signature-file bytes ``sig``, then parse it.

    Raises only :class:`BaselineRejected` subclasses (``highest_seen`` may raise its own errors).
    ``sig=None`` means no signature file: refused unless ``allow_unsigned``.  A signature that is
    present but wrong is refused even with ``allow_unsigned``.
    """
    if expired not in ("refuse", "warn"):
        raise ValueError("expired must be 'refuse' or 'warn'")
    if not isinstance(data, bytes | bytearray):
        raise MalformedBaseline(source, "baseline data must be bytes")
    data = bytes(data)
    if len(data) > MAX_BASELINE_BYTES:
        raise MalformedBaseline(source, f"file larger than {MAX_BASELINE_BYTES} bytes")
    digest = hashlib.sha256(data).hexdigest()
    warnings: list[str] = []
    key_id: str | None = None

    if sig is None:
        if not allow_unsigned:
            raise UnsignedBaseline(
                source, f"no signature ({SIG_SUFFIX} file missing); sign it with 'oobaudit baseline sign'"
            )
        warnings.append(
            "UNSIGNED baseline loaded because unsigned baselines were explicitly allowed: its content is "
            "NOT authenticated and anyone who could write the file could have weakened it"
        )
    else:
        doc = read_signature(bytes(sig), source)
        tk = trusted_keys.get(doc.key_id)
        if tk is None:
            known = ", ".join(trusted_keys.key_ids) or "none"
            raise UnknownSigningKey(
                source, f"signed by key id {doc.key_id}, which is not a trusted key (trusted: {known})"
            )
        if doc.sha256 != digest:
            raise TamperedBaseline(
                source, f"file content changed since it was signed (sha256 {digest} != signed {doc.sha256})"
            )
        try:
            tk.public_key.verify(doc.signature, pae(PAYLOAD_TYPE, data))
        except InvalidSignature:
            raise TamperedBaseline(
                source, f"signature does not verify with trusted key {doc.key_id} ({tk.name})"
            ) from None
        key_id = doc.key_id
        if tk.demo:
            warnings.append(
                f"signed with the public DEMO key {key_id} ({tk.name}): anyone can sign with it; "
                "never trust it outside a demo"
            )

    # Only now are the bytes parsed.
    try:
        baseline = parse_baseline_yaml(data)
    except BaselineSyntaxError as e:
        raise MalformedBaseline(source, str(e), e.problems) from None

    if expected_name is not None and baseline.name != expected_name:
        raise BaselineNameMismatch(source, f"baseline is named {baseline.name!r}, expected {expected_name!r}")

    if highest_seen is not None:
        seen = highest_seen(baseline.name)
        if seen is not None and baseline.version < seen:
            raise BaselineRollback(
                source,
                f"rollback refused: {baseline.name!r} version {baseline.version} is older than version "
                f"{seen} already seen",
            )

    today = today or datetime.now(UTC).date()
    if today > baseline.expires:
        msg = f"baseline {baseline.name!r} v{baseline.version} expired on {baseline.expires}"
        if expired == "refuse":
            raise ExpiredBaseline(source, msg + "; issue a new version (or pass expired='warn')")
        warnings.append(f"EXPIRED: {msg}; findings are judged against a stale policy")
    elif baseline.expires - today <= timedelta(days=EXPIRY_WARNING_DAYS):
        warnings.append(f"baseline {baseline.name!r} expires on {baseline.expires}")
    if baseline.issued > today:
        warnings.append(f"baseline {baseline.name!r} is issued in the future ({baseline.issued}); check clocks")

    return VerifiedBaseline(
        baseline=baseline,
        key_id=key_id,
        sha256=digest,
        signed=sig is not None,
        data=data,
        signature=bytes(sig) if sig is not None else None,
        path=path,
        warnings=warnings,
    )


def _read_capped(path: Path, cap: int, source: str) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise MalformedBaseline(source, f"cannot read: {e.strerror or e}") from None
    if len(data) > cap:
        raise MalformedBaseline(source, f"file larger than {cap} bytes")
    return data


def verify_and_load(
    path: str | os.PathLike[str],
    trusted_keys: TrustedKeys,
    *,
    allow_unsigned: bool = False,
    expired: Literal["refuse", "warn"] = "refuse",
    highest_seen: Callable[[str], int | None] | None = None,
    today: date | None = None,
    expected_name: str | None = None,
) -> VerifiedBaseline:
    """Verify ``path`` against ``path.sig`` with ``trusted_keys`` and return the parsed baseline.

    Refuses (raising a :class:`BaselineRejected` subclass): trusted keys inside the baselines
    directory, unsigned (unless ``allow_unsigned``), unknown key, tampered, malformed, name other
    than ``expected_name``, rollback below ``highest_seen(name)``, expired (unless
    ``expired="warn"``).  The YAML is parsed only after the signature verified.
    The caller records ``(name, version)`` as seen once it has accepted the baseline.
    """
    p = Path(path)
    source = str(p)
    check_key_location(trusted_keys, p)
    data = _read_capped(p, MAX_BASELINE_BYTES, source)
    sp = signature_path(p)
    sig = _read_capped(sp, MAX_SIG_BYTES, str(sp)) if sp.exists() else None
    return verify_bytes(
        data,
        sig,
        trusted_keys,
        allow_unsigned=allow_unsigned,
        expired=expired,
        highest_seen=highest_seen,
        today=today,
        expected_name=expected_name,
        source=source,
        path=p,
    )


def describe(vb: VerifiedBaseline) -> str:
    """A plain-text summary for ``oobaudit baseline show``."""
    b = vb.baseline
    out = [
        f"name:        {b.name}",
        f"version:     {b.version}",
        f"issued:      {b.issued}",
        f"expires:     {b.expires}",
        f"signed by:   {vb.key_id or 'UNSIGNED'}",
        f"sha256:      {vb.sha256}",
    ]
    if b.description:
        out.append(f"description: {b.description.strip().splitlines()[0]}")
    m = {k: v for k, v in b.match.model_dump().items() if v is not None}
    out.append(f"match:       {m or 'every target'}")
    out.append(f"components:  {len(b.components)}")
    for r in b.components:
        bits = [f"min {r.min}"] if r.min else []
        if r.allowed:
            bits.append(f"allowed {', '.join(r.allowed)}")
        if r.denied:
            bits.append(f"{len(r.denied)} denied")
        if r.required:
            bits.append("required")
        out.append(f"  {r.id:<28} {r.class_:<12} {r.scheme:<11} {'; '.join(bits)}")
    out.append("settings (effective):")
    for k, v in effective_settings(b).model_dump().items():
        out.append(f"  {k}: {v}")
    for w in vb.warnings:
        out.append(f"WARNING: {w}")
    return "\n".join(out)
