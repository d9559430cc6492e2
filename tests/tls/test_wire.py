"""Hand-built hellos and the reply parser, cross-checked with scapy's independent TLS layers."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.config import conf
from scapy.layers.tls.cert import Cert
from scapy.layers.tls.crypto.suites import _tls_cipher_suites as SCAPY_SUITES
from scapy.layers.tls.extensions import TLS_Ext_SupportedVersion_SH
from scapy.layers.tls.handshake import (
    TLS13ServerHello,
    TLSCertificate,
    TLSClientHello,
    TLSServerHello,
    TLSServerHelloDone,
)
from scapy.layers.tls.handshake_sslv2 import SSLv2ClientHello, SSLv2ServerHello
from scapy.layers.tls.record import TLS, TLSAlert
from scapy.layers.tls.record_sslv2 import SSLv2
from scapy.packet import raw

from oobaudit.collectors import tls_suites as suites
from oobaudit.collectors import tls_wire as wire
from tests.tls._certs import CertKey

conf.verb = 0


# -- suite registry ---------------------------------------------------------------


def test_suite_names_agree_with_scapy() -> None:
    compared = 0
    for code, name in suites.CIPHER_SUITES.items():
        theirs = SCAPY_SUITES.get(code)
        if theirs is None:
            continue  # ARIA and the pre-standard EXPORT1024 codes are not in scapy's table
        assert theirs == name, f"0x{code:04X}: ours {name}, scapy {theirs}"
        compared += 1
    assert compared > 250


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (0xC02F, set()),  # ECDHE-RSA-AES128-GCM-SHA256
        (0x1301, set()),  # TLS 1.3
        (0x009C, {"NO_FS"}),  # AES128-GCM-SHA256, static RSA
        (0x002F, {"NO_FS", "CBC_SHA1"}),
        (0xC013, {"CBC_SHA1"}),
        (0x000A, {"3DES", "NO_FS", "CBC_SHA1"}),
        (0xC012, {"3DES", "CBC_SHA1"}),
        (0x0005, {"RC4", "NO_FS"}),
        (0x0003, {"RC4", "EXPORT", "NO_FS"}),
        (0x0008, {"DES", "EXPORT", "NO_FS", "CBC_SHA1"}),
        (0x0009, {"DES", "NO_FS", "CBC_SHA1"}),
        (0x0001, {"NULL", "NO_FS"}),
        (0xC010, {"NULL"}),
        (0xC015, {"NULL", "ANON"}),
        (0x0034, {"ANON", "CBC_SHA1"}),
        (0x00A6, {"ANON"}),
        (0xC02D, {"NO_FS"}),  # ECDH-ECDSA static
        (0x0064, {"RC4", "EXPORT", "NO_FS"}),
        (0x0000, set()),
    ],
)
def test_suite_classes(code: int, expected: set[str]) -> None:
    assert suites.suite_classes(code) == expected


def test_sslv3_probe_suites() -> None:
    offered = suites.sslv3_probe_suites()
    assert 0x000A in offered and 0x0005 in offered and 0x0003 in offered and 0x0001 in offered
    assert not any(suites.suite_name(c).startswith(("TLS_ECDHE", "TLS_ECDH_")) for c in offered)
    assert len(wire.build_client_hello(wire.SSL3, offered)) - 5 < 256


def test_probe_chunks_cover_every_legacy_suite_once() -> None:
    chunks = suites.version_probe_chunks()
    flat = [c for chunk in chunks for c in chunk]
    assert sorted(flat) == sorted(suites.legacy_suites())
    assert all(0 < len(c) <= suites.MAX_SUITES_PER_HELLO for c in chunks)
    assert set(suites.COMMON_SUITES) <= set(suites.CIPHER_SUITES)
    for cls in suites.WEAK_CLASSES:
        assert suites.class_suites(cls), cls
        # the first chunk holds at least one suite of every weak class, so one hello finds any of them
        assert set(chunks[0]) & set(suites.class_suites(cls)), cls


# -- ClientHello builders, dissected by scapy -----------------------------------------


@pytest.mark.parametrize("version", [wire.SSL3, wire.TLS10, wire.TLS11, wire.TLS12])
@pytest.mark.parametrize("server_name", [None, "bmc.example", "127.0.0.1", "::1"])
def test_client_hello_dissects_as_sent(version: int, server_name: str | None) -> None:
    offered = suites.sslv3_probe_suites() if version == wire.SSL3 else suites.version_probe_chunks()[0]
    data = wire.build_client_hello(version, offered, server_name=server_name)
    pkt = TLS(data)
    assert pkt.type == 22
    assert pkt.version == (wire.SSL3 if version == wire.SSL3 else wire.TLS10)
    hello = pkt.getlayer(TLSClientHello)
    assert hello is not None and hello.version == version
    assert list(hello.ciphers) == [*offered, suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV]
    ext_types = [e.type for e in (hello.ext or [])]
    if version == wire.SSL3:
        assert ext_types == []
    else:
        assert (0 in ext_types) == (server_name == "bmc.example")  # never an IP literal in SNI
        assert (13 in ext_types) == (version == wire.TLS12)
        assert 43 not in ext_types
    # no ClientHello in the 256..511-byte range some old middleboxes hang on
    assert not 256 <= len(data) - 5 < 512


def test_tls13_client_hello_dissects_as_sent() -> None:
    share = os.urandom(32)
    pkt = TLS(wire.build_tls13_client_hello("bmc.example", share))
    hello = pkt.getlayer(TLSClientHello)
    assert hello.version == wire.TLS12
    assert list(hello.ciphers) == list(suites.TLS13_SUITES)
    by_type = {e.type: e for e in hello.ext}
    assert list(by_type[43].versions) == [wire.TLS13]
    entry = by_type[51].client_shares[0]
    assert entry.group == 29 and bytes(entry.key_exchange) == share
    assert len(hello.sid) == 32


def test_sslv2_client_hello_dissects_as_sent() -> None:
    pkt = SSLv2(wire.build_sslv2_client_hello(b"\x11" * 16))
    hello = pkt.getlayer(SSLv2ClientHello)
    assert hello.version == wire.SSL2
    assert list(hello.ciphers) == list(wire.SSL2_CIPHER_KINDS)
    assert bytes(hello.challenge) == b"\x11" * 16


def test_builder_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        wire.build_client_hello(0x0200, [0x2F])
    with pytest.raises(ValueError):
        wire.build_client_hello(wire.TLS12, [])
    with pytest.raises(ValueError):
        wire.build_client_hello(wire.TLS13, suites.TLS13_SUITES)  # no key share


# -- reply parser, fed with scapy-serialised server flights ---------------------------


def _flight(version: int, suite: int, certs: list[bytes]) -> bytes:
    return raw(
        TLS(
            version=version,
            type=22,
            msg=[
                TLSServerHello(version=version, cipher=suite),
                TLSCertificate(certs=[Cert(c) for c in certs]),
                TLSServerHelloDone(),
            ],
        )
    )


@pytest.mark.parametrize("step", [1, 7, 100, 1 << 20])
def test_server_flight_any_split(certs: dict[str, CertKey], step: int) -> None:
    chain = [certs["casigned"].der, certs["ca"].der]
    data = _flight(wire.TLS10, 0x000A, chain)
    parser = wire.ReplyParser(want_certificates=True)
    for i in range(0, len(data), step):
        assert not parser.done
        parser.feed(data[i : i + step])
    assert parser.done
    r = parser.reply
    assert r.kind == "server_hello" and r.version == wire.TLS10 and r.cipher_suite == 0x000A
    assert r.certificates == chain and r.server_hello_done


def test_without_want_certificates_stops_at_server_hello(certs: dict[str, CertKey]) -> None:
    parser = wire.ReplyParser()
    parser.feed(_flight(wire.SSL3, 0x0005, [certs["weak"].der]))
    assert parser.done and parser.reply.version == wire.SSL3 and parser.reply.certificates == []


def test_alert_and_close_and_garbage() -> None:
    p = wire.ReplyParser()
    p.feed(raw(TLS(version=0x0301, type=21, msg=[TLSAlert(level=2, descr=70)])))
    assert p.done and p.reply.kind == "alert" and p.reply.alert_name() == "protocol_version"
    p = wire.ReplyParser()
    p.eof()
    assert p.reply.kind == "closed"
    p = wire.ReplyParser()
    p.feed(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert p.done and p.reply.kind == "not_tls"


@pytest.mark.parametrize("hrr", [False, True])
def test_tls13_server_hello_and_hello_retry_request(hrr: bool) -> None:
    rnd = wire.HRR_RANDOM if hrr else os.urandom(32)
    sh = TLS13ServerHello(version=0x0303, random_bytes=rnd, cipher=0x1301,
                          ext=[TLS_Ext_SupportedVersion_SH(version=wire.TLS13)])
    p = wire.ReplyParser(want_certificates=True)
    p.feed(raw(TLS(version=0x0303, type=22, msg=[sh])))
    assert p.done and p.reply.version == wire.TLS13 and p.reply.server_version == wire.TLS12
    assert p.reply.hello_retry_request is hrr


def test_sslv2_server_hello(certs: dict[str, CertKey]) -> None:
    kinds = [0x0700C0, 0x010080]
    data = raw(SSLv2(msg=SSLv2ServerHello(cert=Cert(certs["weak"].der), ciphers=kinds, connection_id=b"\x01" * 16)))
    p = wire.ReplyParser(sslv2=True)
    p.feed(data)
    assert p.done and p.reply.kind == "sslv2_server_hello"
    assert p.reply.sslv2_cipher_kinds == kinds and p.reply.certificates == [certs["weak"].der]


def test_tls_alert_in_answer_to_sslv2_hello() -> None:
    p = wire.ReplyParser(sslv2=True)
    p.feed(raw(TLS(version=0x0301, type=21, msg=[TLSAlert(level=2, descr=70)])))
    assert p.done and p.reply.kind == "alert"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.booleans(), st.booleans(), st.integers(min_value=1, max_value=64))
def test_parser_never_raises_on_arbitrary_bytes(data: bytes, sslv2: bool, want: bool, step: int) -> None:
    p = wire.ReplyParser(want_certificates=want, sslv2=sslv2)
    for i in range(0, len(data), step):
        p.feed(data[i : i + step])
    p.eof()
    assert p.done
    assert p.reply.kind in {"server_hello", "sslv2_server_hello", "alert", "closed", "not_tls", "malformed"}
    p.reply.summary()


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=300))
def test_parser_survives_mangled_server_hello(tail: bytes) -> None:
    # A valid record header announcing a ServerHello, then arbitrary content.
    body = b"\x02" + len(tail).to_bytes(3, "big") + tail
    record = b"\x16\x03\x01" + len(body).to_bytes(2, "big") + body
    p = wire.ReplyParser(want_certificates=True)
    p.feed(record)
    p.eof()
    assert p.reply.kind in {"server_hello", "malformed", "closed"}
