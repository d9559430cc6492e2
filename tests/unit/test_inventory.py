"""Inventory loading: good files load; every bad line is named with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oobaudit.inventory import load_inventory
from oobaudit.secrets import SecretError
from oobaudit.yamlsrc import SourceError

GOOD = """\
version: 1
defaults:
  credentials: {username: auditor, password: env:INV_TEST_PASS}
  ports: {https: 8443}
sites:
  - name: dc1
    racks:
      - name: r1
        hosts:
          - name: h1
            address: 192.0.2.10
            platform: hgx-h100
            tags: [gpu]
          - name: h2
            address: bmc-h2.example.net
            ports: {https: 443, ipmi: 6230}
            credentials: {username: other, password: "file:secret.txt"}
"""


def write(tmp_path: Path, text: str, name: str = "inv.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def issues(tmp_path: Path, text: str) -> list[str]:
    p = write(tmp_path, text)
    with pytest.raises(SourceError) as ei:
        load_inventory(p)
    return [str(i) for i in ei.value.issues]


def test_good_inventory_loads_with_sites_racks_ports_and_refs(tmp_path, monkeypatch):
    p = write(tmp_path, GOOD)
    (tmp_path / "secret.txt").write_text("s3cret-from-file\n")
    monkeypatch.setenv("INV_TEST_PASS", "from-env")
    inv = load_inventory(p)
    h1, h2 = inv.targets
    assert (h1.site, h1.rack, h1.platform, h1.tags) == ("dc1", "r1", "hgx-h100", ("gpu",))
    assert h1.ports["https"] == 8443 and h1.ports["ipmi"] == 623
    assert h2.ports["https"] == 443 and h2.ports["ipmi"] == 6230
    assert h2.platform == "generic"
    assert h1.credentials.password.resolve().reveal() == "from-env"
    # relative file: paths are relative to the inventory file, not the working directory
    assert h2.credentials.password.resolve().reveal() == "s3cret-from-file"
    assert h1.source == f"{p}:10"
    assert "from-env" not in repr(h1) and "s3cret" not in repr(h2)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    out = issues(tmp_path, "version: 1\nsites:\n  - name: x\n   racks: [\n")
    assert len(out) == 1 and out[0].startswith(f"{tmp_path / 'inv.yaml'}:") and "YAML syntax error" in out[0]


def test_unknown_key_bad_address_and_bad_port_are_located(tmp_path):
    out = issues(tmp_path, """\
        version: 1
        sites:
          - name: x
            racks:
              - name: r
                hosts:
                  - name: a
                    address: "not an address"
                  - name: b
                    address: 10.1.1.1
                    ports: {https: 70000}
                    colour: blue
        """)
    text = "\n".join(out)
    assert "inv.yaml:8: sites[0].racks[0].hosts[0].address: not an IP address or a host name" in text
    assert "inv.yaml:11: sites[0].racks[0].hosts[1].ports.https:" in text
    assert "inv.yaml:12: sites[0].racks[0].hosts[1].colour: unknown key" in text


def test_duplicate_names_addresses_and_yaml_keys_refused(tmp_path):
    out = issues(tmp_path, """\
        version: 1
        sites:
          - name: x
            racks:
              - name: r
                hosts:
                  - {name: a, address: 10.0.0.1}
                  - {name: a, address: 10.0.0.2}
                  - {name: c, address: 10.0.0.1}
                  - {name: d, address: 10.0.0.1, ports: {https: 8443}}
        """)
    text = "\n".join(out)
    assert "inv.yaml:8: duplicate host name 'a' (first at line 7)" in text
    assert "inv.yaml:9: duplicate address 10.0.0.1" in text and "'a'" in text
    assert "host 'd'" not in text  # same address, other port: another BMC (port-multiplexed lab fleets)
    out = issues(tmp_path, "version: 1\nversion: 1\nsites: []\n")
    assert any(":2: duplicate key 'version'" in o for o in out)


def test_literal_password_refused_and_never_echoed(tmp_path):
    out = issues(tmp_path, """\
        version: 1
        sites:
          - name: x
            racks:
              - name: r
                hosts:
                  - name: a
                    address: 10.0.0.1
                    credentials: {username: root, password: Sup3rSecretLiteral}
        """)
    text = "\n".join(out)
    assert "inv.yaml:9:" in text and "literal secret is not allowed" in text
    assert "Sup3rSecretLiteral" not in text


def test_literal_allowed_when_inventory_says_so_but_redacted(tmp_path):
    p = write(tmp_path, """\
        version: 1
        allow_literal_secrets: true
        sites:
          - name: x
            racks:
              - name: r
                hosts:
                  - {name: a, address: 10.0.0.1, credentials: {username: root, password: Lit3ral}}
        """)
    t = load_inventory(p).targets[0]
    assert t.credentials.password.resolve().reveal() == "Lit3ral"
    assert "Lit3ral" not in repr(t) and "Lit3ral" not in repr(t.credentials.password.resolve())


def test_missing_env_reference_error_does_not_crash_load(tmp_path, monkeypatch):
    monkeypatch.delenv("INV_TEST_PASS", raising=False)
    t = load_inventory(write(tmp_path, GOOD)).targets[0]
    with pytest.raises(SecretError, match="INV_TEST_PASS is not set"):
        t.credentials.password.resolve()


def test_empty_or_wrong_shape_file(tmp_path):
    assert "a mapping with a 'sites' list" in issues(tmp_path, "- 1\n- 2\n")[0]
    assert "sites: required key is missing" in issues(tmp_path, "version: 1\n")[0]


def test_shipped_lab_inventory_is_valid():
    inv = load_inventory(Path(__file__).parents[2] / "inventory" / "lab.yaml")
    assert len(inv) >= 4 and {t.rack for t in inv.targets} == {"rack-a", "rack-b"}


def test_zones_management_networks_and_vantage_points(tmp_path):
    p = write(tmp_path, """\
        version: 1
        management_networks: [198.18.10.0/24, "fd00:10::/64"]
        vantage_points:
          - {name: mgmt-jump, zone: management, bmc_reachable: true}
          - {name: tenant-a, zone: tenant, bmc_reachable: false}
        sites:
          - name: x
            racks:
              - name: r
                hosts:
                  - {name: a, address: 198.18.10.5}
        """)
    inv = load_inventory(p)
    assert [str(n) for n in inv.management_networks] == ["198.18.10.0/24", "fd00:10::/64"]
    assert inv.vantage("tenant-a").bmc_reachable is False and inv.vantage("nope") is None
    out = issues(tmp_path, """\
        version: 1
        management_networks: [198.18.10.1/33]
        vantage_points:
          - {name: v, zone: management, bmc_reachable: true}
          - {name: v, zone: tenant, bmc_reachable: false}
        sites: [{name: x, racks: []}]
        """)
    text = "\n".join(out)
    assert "inv.yaml:2: management_networks[0]" in text and "duplicate vantage point name(s): v" in text
