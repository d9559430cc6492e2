"""The IPMI responder plugged into a mock_bmc fleet (profile ``ipmi:`` section, shared accounts)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from mock_bmc.ipmi import fleet_ipmi_config
from oobaudit.wire import commands as c
from oobaudit.wire.rakp import RakpHash
from oobaudit.wire.rmcpplus import Rakp4, RakpStatus
from tests.mock_ipmi.wireclient import PlusSession, WireClient

fleet_mod = pytest.importorskip("mock_bmc.fleet")
profiles_mod = pytest.importorskip("mock_bmc.profiles")

VULN_IPMI = {
    "cipher_suites": [0, 3, 17],
    "auth_types_v15": ["none", "md5", "password"],
    "anonymous_login": True,
    "accounts": {"": {"password": "", "privilege": "user"}},
}


@pytest.fixture(scope="module")
def fleet() -> Iterator[object]:
    base = profiles_mod.load_profile("factory-default")
    vuln = base.model_copy(update={"ipmi": VULN_IPMI})
    spec = fleet_mod.FleetSpec(groups=[fleet_mod.GroupSpec(vuln, 1), fleet_mod.GroupSpec("hardened", 1)])
    with fleet_mod.run_fleet_in_thread(spec, timeout=60) as f:
        yield f


def test_profile_section_starts_a_responder(fleet) -> None:
    vuln, hardened = fleet.bmcs
    assert "ipmi" in vuln.ports and "ipmi" not in hardened.ports
    with WireClient(vuln.ports["ipmi"]) as cl:
        caps = cl.capabilities()
        assert caps.anonymous_login and caps.non_null_usernames
        # the profile's IPMI accounts (ADMIN, test) exist; the Redfish-only auditor does not
        assert isinstance(cl.rakp_hash(b"ADMIN"), RakpHash)
        assert isinstance(cl.rakp_hash(b"test"), RakpHash)
        assert cl.rakp_hash(fleet.auditor_user.encode()) == RakpStatus.UNAUTHORIZED_NAME
        sess = cl.login(b"ADMIN", b"ADMIN", 17)
        assert isinstance(sess, PlusSession)
        dev = c.parse_device_id_response(cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID).data)
        assert dev.manufacturer_id == 10876 and dev.firmware_version == "1.73"  # Supermicro, "01.73.06"
        guid = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_GUID).data
        assert guid == uuid.UUID(vuln.uuid).bytes[::-1]  # IPMI encoding: ipmitool prints the UUID


def test_ipmi_failures_reach_the_shared_account_store(fleet) -> None:
    vuln = fleet.bmcs[0]
    before = vuln.accounts["test"].failed_logins
    with WireClient(vuln.ports["ipmi"]) as cl:
        bad = cl.login(b"test", b"test", 3, privilege=3, rakp3_password=b"nope")
        assert isinstance(bad, Rakp4) and bad.status == RakpStatus.INVALID_INTEGRITY_CHECK_VALUE
        assert vuln.accounts["test"].failed_logins == before + 1
        ok = cl.login(b"test", b"test", 3, privilege=3)
        assert isinstance(ok, PlusSession)
    assert vuln.accounts["test"].failed_logins == 0


def test_fleet_config_mapping() -> None:
    base = profiles_mod.load_profile("factory-default").model_copy(update={"ipmi": {}})
    assert fleet_ipmi_config(base) is None  # no ipmi: section, no responder
    off = base.model_copy(update={"ipmi": {"enabled": False}})
    assert fleet_ipmi_config(off) is None
    explicit = base.model_copy(update={"ipmi": {"device_id": {"manufacturer_id": 674}}})
    cfg = fleet_ipmi_config(explicit)
    assert cfg is not None and cfg.device_id.manufacturer_id == 674 and cfg.device_id.firmware_minor == 73
