"""Fixtures for the TLS collector tests: certificates generated with cryptography."""

from __future__ import annotations

import pytest

from tests.tls._certs import CertKey, make_cert, name


@pytest.fixture(scope="session")
def certs() -> dict[str, CertKey]:
    ca = make_cert(name(C="US", O="oobaudit test", CN="oobaudit test CA"), ca=True)
    return {
        # a good certificate: RSA-2048, SHA-256, valid, SAN localhost
        "good": make_cert(name(C="US", O="Example", CN="localhost"), san_dns=("localhost",)),
        # the OpenBMC factory certificate, made weaker still: RSA-1024, SHA-1, expired
        "weak": make_cert(
            name(C="US", O="OpenBMC", CN="testhost"),
            key_kind="rsa1024",
            sha1=True,
            expired=True,
            san_dns=("testhost",),
            ca=True,
        ),
        "ca": ca,
        # CA-signed leaf whose SAN carries the loopback address
        "casigned": make_cert(
            name(C="US", O="oobaudit test", CN="bmc1.test"),
            issuer=ca,
            san_dns=("bmc1.test",),
            san_ip=("127.0.0.1", "::1"),
        ),
        "ec": make_cert(name(CN="ec.test"), key_kind="p256", san_dns=("ec.test",)),
    }
