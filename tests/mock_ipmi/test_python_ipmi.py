"""python-ipmi (PyPI ``python-ipmi``) as a third, pure-Python client of the mock."""

from __future__ import annotations

import pytest

from mock_bmc.ipmi import IpmiResponder
from tests.mock_ipmi.conftest import ACCOUNTS

pyipmi = pytest.importorskip("pyipmi")
pyipmi_interfaces = pytest.importorskip("pyipmi.interfaces")
pytest.importorskip("pyipmi.errors")


def _connect(kind: str, port: int, password: str, **kw: object):  # type: ignore[no-untyped-def]
    intf = pyipmi_interfaces.create_interface(kind, **kw)
    ipmi = pyipmi.create_connection(intf)
    ipmi.session.set_session_type_rmcp("127.0.0.1", port)
    ipmi.session.set_auth_type_user("admin", password)
    ipmi.target = pyipmi.Target(0x20)
    intf.open()  # python-ipmi 0.6.1 needs the socket before establish()
    ipmi.session.establish()
    return ipmi


@pytest.mark.parametrize(("kind", "kw"), [("rmcp", {}), ("rmcpplus", {"cipher_suite": 3})])
def test_python_ipmi_logs_in(hardened_bmc: IpmiResponder, kind: str, kw: dict[str, object]) -> None:
    ipmi = _connect(kind, hardened_bmc.port, ACCOUNTS["admin"][0], **kw)
    try:
        dev = ipmi.get_device_id()
        assert dev.manufacturer_id == 10876
    finally:
        ipmi.session.close()


@pytest.mark.xfail(strict=True, raises=pyipmi.errors.RetryError, reason=(
    "python-ipmi 0.6.1 derives K1/K2 for SHA256 suites from 32-byte constants; ipmitool, OpenBMC's "
    "phosphor-net-ipmid and this mock use the 20-byte constants of the spec, so suite 17 sessions "
    "break at the first integrity-protected message"))
def test_python_ipmi_suite_17_incompatible(hardened_bmc: IpmiResponder) -> None:
    ipmi = _connect("rmcpplus", hardened_bmc.port, ACCOUNTS["admin"][0], cipher_suite=17, max_retries=0)
    try:
        ipmi.get_device_id()
    finally:
        ipmi.session.close()
