"""Baseline model: validation messages, settings defaults, matching and verdicts."""

from __future__ import annotations

import textwrap

import pytest

from oobaudit.baseline.model import (
    DEFAULT_SETTINGS,
    BaselineSyntaxError,
    effective_settings,
    evaluate_version,
    glob_specificity,
    match_explain,
    missing_required,
    parse_baseline_yaml,
    role_within,
    rule_for,
    rules_for,
    unknown_components,
)
from oobaudit.baseline.model import (
    baseline_applies as applies,
)

HEAD = """\
name: t
version: 1
issued: 2026-01-01
expires: 2027-01-01
"""


def load(body: str = "", head: str = HEAD):
    return parse_baseline_yaml(head + textwrap.dedent(body))


def problems(body: str, head: str = HEAD) -> list[tuple[str, str]]:
    with pytest.raises(BaselineSyntaxError) as ei:
        load(body, head)
    return ei.value.problems


def test_minimal_baseline_and_defaults() -> None:
    b = load()
    assert b.name == "t" and b.version == 1 and b.components == []
    assert effective_settings(b) == DEFAULT_SETTINGS
    d = DEFAULT_SETTINGS
    assert d.min_tls_version == "1.2"
    assert d.services_off == ["HTTP", "Telnet", "SSDP", "SNMPv1", "SNMPv2c"]
    assert d.ipmi_allowed is False and d.ipmi_cipher_suites_allowed == [17]
    assert d.allowed_accounts is None
    assert d.session_timeout_max == 1800 and d.password_min_length == 8 and d.lockout_threshold_max == 10
    assert d.secure_boot_required is True and d.attestation == []


def test_settings_merge_over_defaults() -> None:
    b = load(
        """
        settings:
          password_min_length: 14
          services_off: [HTTP, Telnet, KVMIP]
          allowed_accounts: [{name: "svc-*", max_role: ReadOnly}]
        """
    )
    s = effective_settings(b)
    assert s.password_min_length == 14
    assert s.services_off == ["HTTP", "Telnet", "KVMIP"]
    assert s.allowed_accounts is not None and s.allowed_accounts[0].name == "svc-*"
    assert s.session_timeout_max == 1800  # default kept
    assert b.effective_settings() == s


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        ("colour: red\n", "colour", "Extra inputs"),
        ("settings: {pasword_min_length: 3}\n", "settings.pasword_min_length", "Extra inputs"),
        ("settings: {ipmi_cipher_suites_allowed: [0, 17]}\n", "settings.ipmi_cipher_suites_allowed", "suite 0"),
        ("settings: {services_off: [IPMI]}\n", "settings.services_off[0]", "Input should be"),
        ("settings: {lockout_threshold_max: 0}\n", "settings.lockout_threshold_max", "greater than"),
        ("settings: {min_tls_version: '1.1'}\n", "settings.min_tls_version", "Input should be"),
        (
            "components: [{id: X, class: gpu, scheme: dotted}]\n",
            "components[0].class",
            "Input should be",
        ),
        (
            "components: [{id: X, class: bmc, scheme: semver}]\n",
            "components[0].scheme",
            "unknown version scheme",
        ),
        (
            "components: [{id: X, class: bmc, scheme: dotted, min: 2.50}]\n",
            "components[0].min",
            "quoted string",
        ),
        (
            "components: [{id: X, class: gpu-vbios, scheme: hex-dotted, min: '96.00.5G.00.01'}]\n",
            "components[0]",
            "min: '96.00.5G.00.01' is not a valid 'hex-dotted' version",
        ),
        (
            "components: [{id: X, class: bmc, scheme: exact, min: abc}]\n",
            "components[0]",
            "no order",
        ),
        (
            "components: [{id: X, class: bmc, scheme: dotted, denied: [{version: '1.0', source: s}]}]\n",
            "components[0].denied[0]",
            "advisory",
        ),
        (
            "components: [{id: X, class: bmc, scheme: dotted, denied: [{version: '1.0', range: '<2.0', "
            "cve: CVE-2024-0114, source: s}]}]\n",
            "components[0].denied[0]",
            "exactly one",
        ),
        (
            "components: [{id: X, class: bmc, scheme: dotted, denied: [{range: '<2.0.0, >1.0', "
            "advisory: A, source: s}]}]\n",
            "components[0]",
            "denied[0].range",
        ),
        ("components: [{id: X, class: bmc, scheme: dotted, allowed: []}]\n", "components[0].allowed", "empty"),
        ("components: [{id: '', class: bmc, scheme: dotted}]\n", "components[0].id", "empty"),
        ("components: [{id: X, class: bmc, scheme: dotted, required: 'yes'}]\n", "components[0].required", ""),
        ("match: {colour: red}\n", "match.colour", "Extra inputs"),
    ],
)
def test_errors_name_the_field(body: str, loc: str, fragment: str) -> None:
    probs = problems(body)
    assert any(p[0] == loc and fragment in p[1] for p in probs), probs


def test_header_errors() -> None:
    assert problems("", "name: Bad Name\nversion: 1\nissued: 2026-01-01\nexpires: 2027-01-01\n")[0][0] == "name"
    assert problems("", "name: t\nversion: 0\nissued: 2026-01-01\nexpires: 2027-01-01\n")[0][0] == "version"
    assert problems("", "name: t\nversion: '2'\nissued: 2026-01-01\nexpires: 2027-01-01\n")[0][0] == "version"
    p = problems("", "name: t\nversion: 1\nissued: 2027-01-01\nexpires: 2026-01-01\n")
    assert "must be after" in p[0][1]
    assert {loc for loc, _ in problems("", "name: t\n")} >= {"version", "issued", "expires"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (HEAD + "version: 2\n", "duplicate key"),
        (HEAD + "a: &x [1]\nb: *x\n", "aliases"),
        ("- 1\n- 2\n", "mapping"),
        (HEAD + "components: [\n", "YAML error"),
        ("name: t\nversion: 1\nissued: 2026-02-30\nexpires: 2027-01-01\n", "YAML error"),
        ("a: " + "{b: " * 3000 + "}" * 3000, "YAML error"),
    ],
    ids=["duplicate-key", "alias", "not-a-mapping", "broken-yaml", "bad-date", "deep-nesting"],
)
def test_yaml_refusals(text: str, fragment: str) -> None:
    with pytest.raises(BaselineSyntaxError) as ei:
        parse_baseline_yaml(text)
    assert fragment in str(ei.value)


def test_bytes_input() -> None:
    assert parse_baseline_yaml(HEAD.encode()).name == "t"
    with pytest.raises(BaselineSyntaxError, match="UTF-8"):
        parse_baseline_yaml(b"\xff\xfe" + HEAD.encode())
    with pytest.raises(BaselineSyntaxError, match="larger"):
        parse_baseline_yaml(b"#" * (1024 * 1024 + 1))


def test_match() -> None:
    b = load("match: {platform: hgx-*, vendor: [NVIDIA, Supermicro]}\n")
    assert applies(b, {"platform": "hgx-h100", "vendor": "nvidia"})
    assert not applies(b, {"platform": "hgx-h100", "vendor": "Dell Inc."})
    assert not applies(b, {"platform": "hgx-h100"})  # vendor unknown -> does not apply
    assert not applies(b, {"platform": "generic", "vendor": "NVIDIA"})
    ok, why = match_explain(b, {"platform": "hgx-h100"})
    assert not ok and any("vendor: unknown" in w for w in why)
    assert applies(load(), {})  # empty match applies to every target
    b2 = load("match: {manager_model: OpenBmc, product: 'HGX H100*'}\n")
    assert applies(b2, {"manager_model": "OpenBmc", "product": "HGX H100 8-GPU"})


COMPONENTS = """
components:
  - {id: "HGX_FW_*", class: other, scheme: exact}
  - {id: "HGX_FW_GPU_SXM_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01", required: true}
  - {id: "HGX_FW_GPU_SXM_3", class: gpu-vbios, scheme: hex-dotted, allowed: ["96.00.5E.00.01"]}
  - {id: "HGX_FW_GPU_SXM_?", class: gpu-vbios, scheme: hex-dotted}
  - {id: "HGX_FW_NVSwitch_*", class: nvswitch, scheme: hex-dotted, required: true}
"""


def test_most_specific_rule_wins() -> None:
    b = load(COMPONENTS)
    assert rule_for(b, "HGX_FW_GPU_SXM_3").id == "HGX_FW_GPU_SXM_3"  # exact beats globs
    assert [r.id for r in rules_for(b, "HGX_FW_GPU_SXM_1")] == ["HGX_FW_GPU_SXM_?", "HGX_FW_GPU_SXM_*", "HGX_FW_*"]
    assert rule_for(b, "HGX_FW_FPGA_0").id == "HGX_FW_*"
    assert rule_for(b, "hgx_fw_gpu_sxm_1") is None  # Redfish ids are case-sensitive
    assert glob_specificity("ABC") > glob_specificity("AB*") > glob_specificity("A*")


def test_required_and_unknown() -> None:
    b = load(COMPONENTS)
    assert [r.id for r in missing_required(b, ["HGX_FW_GPU_SXM_1"])] == ["HGX_FW_NVSwitch_*"]
    assert unknown_components(b, ["HGX_FW_GPU_SXM_1", "CPLDMB_0"]) == ["CPLDMB_0"]
    b2 = load(COMPONENTS + "unknown_components: ignore\n")
    assert unknown_components(b2, ["CPLDMB_0"]) == []


def test_evaluate_version() -> None:
    b = load(
        """
        components:
          - id: HGX_FW_BMC_0
            class: bmc
            scheme: nvidia-hmc
            min: HGX-22.10-1-rc77
            denied:
              - {version: HGX-22.10-1-rc80, advisory: TEST-1, source: test}
              - {range: ">=HGX-22.10-1-rc90, <HGX-22.10-1-rc95", cve: CVE-2024-0114, source: test}
              - {range: "<GB200Nvl-25.01-1", advisory: OTHER-LINE, source: test}
          - {id: GPU, class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
          - {id: CPLD, class: cpld, scheme: exact, allowed: ["0.1C", "0.1D"]}
        """
    )
    bmc, gpu, cpld = b.components
    assert evaluate_version(bmc, "HGX-22.10-1-rc77").status == "pass"
    assert evaluate_version(bmc, "HGX-22.10-1-rc100").status == "pass"
    v = evaluate_version(bmc, "HGX-22.10-1-rc80")
    assert v.status == "fail" and v.denied[0].denied.advisory == "TEST-1"
    v = evaluate_version(bmc, "HGX-22.10-1-rc92")
    assert v.status == "fail" and v.denied[0].denied.cve == ["CVE-2024-0114"]
    assert evaluate_version(bmc, "HGX-22.10-1-rc57").status == "fail"  # below min
    v = evaluate_version(bmc, "GB200Nvl-25.08-9")  # other line: min cannot be decided
    assert v.status == "error" and any("cannot compare" in r for r in v.reasons)
    assert evaluate_version(bmc, "GB200Nvl-25.01-E").status == "error"
    assert evaluate_version(bmc, None).status == "error"
    assert evaluate_version(bmc, "  ").status == "error"
    assert evaluate_version(gpu, "96.00.BC.00.01").status == "pass"
    assert evaluate_version(gpu, "96.00.5E.00.01").status == "fail"
    assert evaluate_version(gpu, "97.00.82.00.18").status == "error"  # Blackwell vs Hopper line
    assert evaluate_version(cpld, "0.1C").status == "pass"
    assert evaluate_version(cpld, "0.1E").status == "fail"


def test_roles() -> None:
    assert role_within("ReadOnly", "Operator") is True
    assert role_within("Administrator", "Operator") is False
    assert role_within("OemSuperUser", "Operator") is None
