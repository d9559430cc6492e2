"""Profile loading and validation: no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_bmc.profiles import PROFILES_DIR, ProfileError, list_profiles, load_profile


def test_builtin_profiles_load_and_are_named_after_their_file() -> None:
    names = list_profiles()
    assert {"hardened", "factory-default", "hgx-h100"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.name == name
        assert profile.source == str((PROFILES_DIR / f"{name}.yaml").resolve())


def test_required_platforms() -> None:
    assert load_profile("hardened").platform == "generic"
    assert load_profile("factory-default").platform == "generic"
    assert load_profile("hgx-h100").platform == "hgx-h100"


def test_hardened_posture() -> None:
    p = load_profile("hardened")
    assert p.account_service.AccountLockoutThreshold == 5
    assert p.account_service.AccountLockoutDuration == 300
    assert p.account_service.MinPasswordLength == 14
    assert p.session_service.SessionTimeout == 600
    assert p.plain_http == "redirect"
    np = p.network_protocol
    assert not np.HTTP.ProtocolEnabled and not np.IPMI.ProtocolEnabled
    assert not any(x.ProtocolEnabled for x in (np.Telnet, np.SSDP, np.KVMIP, np.VirtualMedia))
    assert (np.SNMP.EnableSNMPv1, np.SNMP.EnableSNMPv2c, np.SNMP.EnableSNMPv3) == (False, False, True)
    assert p.secure_boot.SecureBootEnable
    assert [(a.UserName, a.RoleId, a.password) for a in p.accounts.values()] == [("admin", "Administrator", None)]


def test_factory_default_posture() -> None:
    p = load_profile("factory-default")
    assert p.account_service.AccountLockoutThreshold == 0
    assert p.account_service.MinPasswordLength == 1
    assert p.session_service.SessionTimeout == 86400
    assert p.plain_http == "serve"
    np = p.network_protocol
    assert all(x.ProtocolEnabled for x in (np.HTTP, np.IPMI, np.Telnet, np.SSDP, np.KVMIP, np.VirtualMedia))
    assert np.SNMP.EnableSNMPv1
    assert [c.community for c in np.SNMP.CommunityStrings] == ["public"]
    assert not p.secure_boot.SecureBootEnable
    users = {a.UserName: a.password for a in p.accounts.values()}
    assert users["ADMIN"] == "ADMIN"
    assert "test" in users


def test_hgx_firmware_inventory_is_exact() -> None:
    p = load_profile("hgx-h100")
    assert (p.service_root.Vendor, p.manager.Id, p.system.Id) == ("NVIDIA", "HGX_BMC_0", "HGX_Baseboard_0")
    expected = {"HGX_FW_BMC_0": "HGX-22.10-1-rc77", "HGX_FW_FPGA_0": "2.53", "HGX_FW_PCIeSwitch_0": "1.9.5F"}
    expected["HGX_FW_ERoT_BMC_0"] = expected["HGX_FW_ERoT_FPGA_0"] = "00.02.0192.0000_n00"
    for i in range(1, 9):
        expected[f"HGX_FW_ERoT_GPU_SXM_{i}"] = "00.02.0192.0000_n00"
        expected[f"HGX_FW_GPU_SXM_{i}"] = "96.00.BC.00.01"
        expected[f"HGX_InfoROM_GPU_SXM_{i}"] = "G520.0200.00.05"
    for i in range(4):
        expected[f"HGX_FW_NVSwitch_{i}"] = "96.10.69.00.01"
    for i in range(8):
        expected[f"HGX_FW_PCIeRetimer_{i}"] = "2.7.20"
    assert {k: v.Version for k, v in p.firmware_inventory.items()} == expected
    assert all(v.Manufacturer == "NVIDIA" for v in p.firmware_inventory.values())
    ci = p.component_integrity
    assert set(ci) == {"HGX_ERoT_BMC_0", "HGX_ERoT_FPGA_0"}
    assert all(c.ComponentIntegrityType == "SPDM" and c.ComponentIntegrityEnabled for c in ci.values())


def test_extends_deep_merges_and_null_deletes(tmp_path: Path) -> None:
    variant = tmp_path / "one-old-gpu.yaml"
    variant.write_text(
        "extends: hgx-h100\n"
        "firmware_inventory:\n"
        "  HGX_FW_GPU_SXM_1: {Version: 96.00.5C.00.03}\n"
        "  HGX_FW_PCIeRetimer_7: null\n"
        "account_service: {AccountLockoutThreshold: 3}\n"
    )
    p = load_profile(str(variant))
    base = load_profile("hgx-h100")
    assert p.name == "one-old-gpu"
    assert p.firmware_inventory["HGX_FW_GPU_SXM_1"].Version == "96.00.5C.00.03"
    assert p.firmware_inventory["HGX_FW_GPU_SXM_1"].Manufacturer == "NVIDIA"  # firmware_defaults still apply
    assert p.firmware_inventory["HGX_FW_GPU_SXM_2"].Version == "96.00.BC.00.01"
    assert "HGX_FW_PCIeRetimer_7" not in p.firmware_inventory
    assert p.account_service.AccountLockoutThreshold == 3
    assert p.account_service.AccountLockoutDuration == base.account_service.AccountLockoutDuration
    assert load_profile("hgx-h100-stale-vbios").firmware_inventory["HGX_FW_GPU_SXM_3"].Version == "96.00.5C.00.03"


def test_unknown_key_is_refused_and_the_error_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("extends: hardened\naccount_service: {AccountLockoutTreshold: 5}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(str(bad))
    assert str(bad) in str(info.value)
    assert "AccountLockoutTreshold" in str(info.value)


def test_invalid_value_error_does_not_echo_the_value(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: hardened\naccounts: {admin: {UserName: admin, password: [hunter2-secret]}}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(str(bad))
    assert "accounts.admin.password" in str(info.value)
    assert "hunter2-secret" not in str(info.value)


def test_extends_cycle_is_detected(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: ./b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: ./a.yaml\n")
    with pytest.raises(ProfileError, match="cycle"):
        load_profile(str(tmp_path / "a.yaml"))


def test_unknown_profile_lists_the_builtins() -> None:
    with pytest.raises(ProfileError, match="hardened"):
        load_profile("no-such-profile")


def test_ipmi_section_is_free_form_and_tls_section_is_typed() -> None:
    p = load_profile("hardened").derive("with-ipmi", ipmi={"enabled": True, "cipher_suites": [3, 17]},
                                        tls={"min_version": "1.0"})
    assert p.ipmi["cipher_suites"] == [3, 17] and p.tls.min_version == "1.0"
    with pytest.raises(ProfileError, match="variant"):
        load_profile("hardened").derive("bad-tls", tls={"x": 1})


def test_derive_validates() -> None:
    with pytest.raises(ProfileError, match="variant"):
        load_profile("hardened").derive("broken", faults={"slow_ms": -1})


def test_profile_repr_hides_passwords() -> None:
    p = load_profile("factory-default")
    assert "password" not in repr(p.accounts)
    assert "community=" not in repr(p.network_protocol)
