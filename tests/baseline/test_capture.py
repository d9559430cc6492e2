"""Drafting a baseline from a golden system's firmware inventory."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from oobaudit.baseline.capture import draft_baseline_from_firmware, guess_class, guess_scheme
from oobaudit.baseline.model import BaselineSyntaxError, evaluate_version, parse_baseline_yaml, rule_for

HGX = [
    {"id": "HGX_FW_BMC_0", "version": "HGX-22.10-1-rc77"},
    {"id": "HGX_FW_ERoT_GPU_SXM_1", "version": "00.02.0192.0000_n00"},
    {"id": "HGX_FW_ERoT_GPU_SXM_2", "version": "00.02.0192.0000_n00"},
    {"id": "HGX_FW_GPU_SXM_1", "version": "96.00.BC.00.01"},
    {"id": "HGX_FW_GPU_SXM_2", "version": "96.00.9A.00.01"},
    {"id": "HGX_FW_NVSwitch_0", "version": "96.10.69.00.01"},
    {"id": "HGX_InfoROM_GPU_SXM_1", "version": "G520.0200.00.05"},
    {"id": "HGX_FW_FPGA_0", "version": "2.53"},
    {"id": "HGX_FW_PCIeSwitch_0", "version": "1.9.5F"},
    {"id": "HGX_FW_PCIeRetimer_0", "version": "2.7.20"},
    {"id": "HGX_FW_CPLD_0", "version": "0.1C"},
    {"id": "PSU_0", "version": "garbage v?"},
    {"id": "broken"},
]


def test_draft_from_hgx() -> None:
    text = draft_baseline_from_firmware("hgx-draft", HGX, "hgx-h100", issued=date(2026, 11, 1))
    assert text.startswith("# DRAFT")
    b = parse_baseline_yaml(text)
    assert b.match.platform == ["hgx-h100"] and b.expires == date(2027, 4, 30)
    by_id = {r.id: r for r in b.components}
    assert by_id["HGX_FW_GPU_SXM_*"].scheme == "hex-dotted"
    assert by_id["HGX_FW_GPU_SXM_*"].min == "96.00.9A.00.01"  # lowest seen (hex order)
    assert "differ" in (by_id["HGX_FW_GPU_SXM_*"].note or "")
    assert by_id["HGX_FW_ERoT_GPU_SXM_*"].scheme == "erot"
    assert by_id["HGX_FW_BMC_*"].scheme == "nvidia-hmc"
    assert by_id["HGX_InfoROM_GPU_SXM_*"].scheme == "inforom"
    assert by_id["HGX_FW_PCIeSwitch_*"].scheme == "hex-dotted"
    assert by_id["HGX_FW_FPGA_*"].scheme == "dotted"
    assert by_id["HGX_FW_CPLD_*"].scheme == "hex-dotted"  # 0.1C
    assert by_id["PSU_*"].scheme == "exact" and by_id["PSU_*"].allowed == ["garbage v?"]
    assert "broken" not in by_id
    # the golden system passes its own draft
    for item in HGX:
        if "version" in item:
            assert evaluate_version(rule_for(b, item["id"]), item["version"]).status == "pass"
    assert yaml.safe_load(text)["components"][0]["class"]


def test_scheme_override_and_guesses() -> None:
    text = draft_baseline_from_firmware(
        "x", [{"id": "HGX_FW_FPGA_0", "version": "2.53"}], "p", schemes={"HGX_FW_FPGA_*": "exact"}
    )
    assert parse_baseline_yaml(text).components[0].allowed == ["2.53"]
    assert guess_scheme("HostBMC_0", ["24.09.17"]) == "dotted"
    assert guess_scheme("HGX_FW_GPU_0", ["97.00.82.00.18"]) == "hex-dotted"
    assert guess_class("HGX_FW_ERoT_GPU_SXM_1") == "erot"
    assert guess_class("CX7NIC_0") == "nic"
    assert guess_class("PSU_0") == "other"


def test_bad_name_refused() -> None:
    with pytest.raises(BaselineSyntaxError):
        draft_baseline_from_firmware("Bad Name", HGX, "hgx-h100")
