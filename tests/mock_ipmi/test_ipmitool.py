"""The mock BMC, driven by the Debian ``ipmitool`` as an independent client."""

from __future__ import annotations

import pytest

from mock_bmc.ipmi import IpmiConfig, IpmiResponder
from tests.mock_ipmi.conftest import ACCOUNTS, run_ipmitool, wait_for

ADMIN_PW = ACCOUNTS["admin"][0]


def _mc_info_ok(out: str) -> bool:
    return "Device ID" in out and "Manufacturer ID           : 10876" in out


@pytest.mark.parametrize("suite", ["17", "3"])
def test_lanplus_mc_info_right_password(ipmitool: str, hardened_bmc: IpmiResponder, suite: str) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", suite, "mc", "info")
    assert r.returncode == 0, r.stderr
    assert _mc_info_ok(r.stdout)
    assert "IPMI Version              : 2.0" in r.stdout


@pytest.mark.parametrize("suite", ["17", "3"])
def test_lanplus_wrong_password_fails_and_counts(ipmitool: str, make_bmc, suite: str) -> None:
    bmc = make_bmc(IpmiConfig())
    r = run_ipmitool(ipmitool, bmc.port, "-U", "admin", "-P", "wrong", "-C", suite, "mc", "info")
    assert r.returncode != 0
    assert "Unable to establish IPMI v2 / RMCP+ session" in r.stderr
    # ipmitool checks the RAKP2 HMAC itself and gives up without sending RAKP3: the BMC
    # handed out the hash (CVE-2013-4786) but never saw a failed proof.
    assert wait_for(lambda: bmc.rakp2_disclosures == {"admin": 1}), bmc.rakp2_disclosures
    assert bmc.failed_logins == {}
    assert bmc.successful_logins == {}


def test_lanplus_unknown_user_fails(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "nobody", "-P", "x", "-C", "17", "mc", "info")
    assert r.returncode != 0


def test_cipher_zero_vulnerable_accepts_any_password(ipmitool: str, vulnerable_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, vulnerable_bmc.port, "-U", "admin", "-P", "definitely-wrong", "-C", "0", "mc", "info")
    assert r.returncode == 0, r.stderr
    assert _mc_info_ok(r.stdout)


def test_cipher_zero_hardened_refused(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", "definitely-wrong", "-C", "0", "mc", "info")
    assert r.returncode != 0
    assert "invalid authentication algorithm" in r.stderr


def test_cipher_zero_override_quirk_is_not_a_login(ipmitool: str, make_bmc) -> None:
    """pyghmi-style BMC: Open Session 'succeeds' with suite 3 -> ipmitool -C 0 correctly fails."""
    bmc = make_bmc(IpmiConfig(open_session_override_suite=3))
    r = run_ipmitool(ipmitool, bmc.port, "-U", "admin", "-P", "wrong", "-C", "0", "mc", "info")
    assert r.returncode != 0
    assert "not what we requested" in r.stderr


@pytest.mark.parametrize("suite", ["1", "2", "6", "7", "8", "15", "16"])
def test_other_suites_when_offered(ipmitool: str, vulnerable_bmc: IpmiResponder, suite: str) -> None:
    ok = run_ipmitool(ipmitool, vulnerable_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", suite, "mc", "info")
    assert ok.returncode == 0, ok.stderr
    bad = run_ipmitool(ipmitool, vulnerable_bmc.port, "-U", "admin", "-P", "wrong", "-C", suite, "mc", "info")
    assert bad.returncode != 0


def test_getciphers_lists_configured_suites(ipmitool: str, hardened_bmc: IpmiResponder,
                                            vulnerable_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", "17",
                     "channel", "getciphers", "ipmi")
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()[1:] if line.strip()]
    assert rows == [["3", "N/A", "hmac_sha1", "hmac_sha1_96", "aes_cbc_128"],
                    ["17", "N/A", "hmac_sha256", "sha256_128", "aes_cbc_128"]]
    r = run_ipmitool(ipmitool, vulnerable_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", "17",
                     "channel", "getciphers", "ipmi")
    ids = [int(line.split()[0]) for line in r.stdout.splitlines()[1:] if line.strip()]
    assert ids == [0, 1, 2, 3, 6, 7, 8, 15, 16, 17]


def test_lan_print_reports_suites_and_auth_enables(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", "17", "lan", "print")
    assert r.returncode == 0, r.stderr
    assert "RMCP+ Cipher Suites     : 3,17" in r.stdout
    assert "Cipher Suite Priv Max   : aaXXXXXXXXXXXXX" in r.stdout
    assert "Auth Type Enable        : Callback : MD5" in r.stdout


def test_no_cipher_flag_picks_best_suite(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-v", "mc", "info")
    assert r.returncode == 0, r.stderr
    assert "Using best available cipher suite 17" in r.stderr


def test_chassis_status(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", "17", "chassis", "status")
    assert r.returncode == 0, r.stderr
    assert "System Power         : on" in r.stdout


def test_privilege_limit(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    # an operator asking for ADMIN gets through RAKP (the session is capped at OPERATOR)
    # and is refused at Set Session Privilege; asking for OPERATOR works
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "oper", "-P", "operpw", "-C", "17", "mc", "info")
    assert r.returncode != 0
    assert "Set Session Privilege Level to ADMINISTRATOR failed" in r.stderr
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "oper", "-P", "operpw", "-C", "17", "-L", "OPERATOR",
                     "mc", "info")
    assert r.returncode == 0, r.stderr


def test_anonymous_login(ipmitool: str, hardened_bmc: IpmiResponder, vulnerable_bmc: IpmiResponder) -> None:
    args = ("-U", "", "-P", "", "-L", "USER", "-C", "3", "mc", "info")
    assert run_ipmitool(ipmitool, vulnerable_bmc.port, *args).returncode == 0
    assert run_ipmitool(ipmitool, hardened_bmc.port, *args).returncode != 0


def test_kg_two_key_login(ipmitool: str, make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(kg="bmc-key-0123"))
    base = ("-U", "admin", "-P", ADMIN_PW, "-C", "17")
    r = run_ipmitool(ipmitool, bmc.port, *base, "-k", "bmc-key-0123", "mc", "info")
    assert r.returncode == 0, r.stderr
    r = run_ipmitool(ipmitool, bmc.port, *base, "mc", "info")  # no Kg -> RAKP4 ICV mismatch
    assert r.returncode != 0


# ----------------------------------------------------------------------------- IPMI 1.5


def test_lan15_md5_login(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "mc", "info", interface="lan")
    assert r.returncode == 0, r.stderr
    assert _mc_info_ok(r.stdout)


def test_lan15_wrong_password(ipmitool: str, make_bmc) -> None:
    bmc = make_bmc(IpmiConfig())
    r = run_ipmitool(ipmitool, bmc.port, "-U", "admin", "-P", "wrong", "mc", "info", interface="lan")
    assert r.returncode != 0
    assert "Activate Session command failed" in r.stderr
    assert wait_for(lambda: bmc.failed_logins == {"admin": 1}), bmc.failed_logins


def test_lan15_unknown_user(ipmitool: str, hardened_bmc: IpmiResponder) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "nobody", "-P", "x", "mc", "info", interface="lan")
    assert r.returncode != 0
    assert "Invalid user name" in r.stderr


@pytest.mark.parametrize("auth", ["MD5", "PASSWORD", "NONE"])
def test_lan15_weak_auth_types_when_enabled(ipmitool: str, vulnerable_bmc: IpmiResponder, auth: str) -> None:
    r = run_ipmitool(ipmitool, vulnerable_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-A", auth, "mc", "info",
                     interface="lan")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("auth", ["PASSWORD", "NONE"])
def test_lan15_weak_auth_types_refused_when_hardened(ipmitool: str, hardened_bmc: IpmiResponder,
                                                     auth: str) -> None:
    r = run_ipmitool(ipmitool, hardened_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-A", auth, "mc", "info",
                     interface="lan")
    assert r.returncode != 0
    assert "not supported" in r.stderr


def test_lan15_per_message_auth_disabled(ipmitool: str, vulnerable_bmc: IpmiResponder) -> None:
    # ipmitool switches to auth type NONE after activation when per-message auth is disabled
    r = run_ipmitool(ipmitool, vulnerable_bmc.port, "-U", "admin", "-P", ADMIN_PW, "-A", "MD5", "-v", "-v", "-v",
                     "mc", "info", interface="lan")
    assert r.returncode == 0, r.stderr
    assert "Per-msg auth    : disabled" in r.stdout + r.stderr


def test_mc_guid_round_trips_a_uuid(ipmitool: str, make_bmc) -> None:
    import uuid

    u = uuid.UUID("6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b")
    bmc = make_bmc(IpmiConfig(guid=u.bytes[::-1].hex()))
    r = run_ipmitool(ipmitool, bmc.port, "-U", "admin", "-P", ADMIN_PW, "-C", "17", "mc", "guid")
    assert r.returncode == 0, r.stderr
    assert f"System GUID   : {u}" in r.stdout and "GUID Encoding : IPMI" in r.stdout
