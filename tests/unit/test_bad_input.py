"""Bad input: a clear error naming file and line, the bad-input exit code, nothing written.
Plus property tests: the inventory loader and the Redfish document sanitizer never raise
anything but their documented error for arbitrary input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oobaudit.collectors.redfish import _collapse, _link, sanitize
from oobaudit.inventory import load_inventory
from oobaudit.yamlsrc import SourceError

BAD = {
    "broken-yaml": ("version: 1\nsites:\n\t- name: x\n", ":3: YAML syntax error"),
    "duplicate-host": ("version: 1\nsites:\n - name: s\n   racks:\n    - name: r\n      hosts:\n"
                       "       - {name: a, address: 10.0.0.1}\n       - {name: a, address: 10.0.0.2}\n",
                       ":8: duplicate host name 'a'"),
    "unknown-key": ("version: 1\nsites:\n - name: s\n   colour: red\n   racks: []\n",
                    ":4: sites[0].colour: unknown key"),
    "bad-address": ("version: 1\nsites:\n - name: s\n   racks:\n    - name: r\n      hosts:\n"
                    "       - {name: a, address: 300.1.1.1}\n", ":7: sites[0].racks[0].hosts[0].address"),
    "bad-port": ("version: 1\nsites:\n - name: s\n   racks:\n    - name: r\n      hosts:\n"
                 "       - {name: a, address: 10.0.0.1, ports: {https: 0}}\n",
                 ":7: sites[0].racks[0].hosts[0].ports.https"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_cli_refuses_bad_inventory_and_writes_nothing(tmp_path, case):
    text, expected = BAD[case]
    inv = tmp_path / "inv.yaml"
    inv.write_text(text)
    db = tmp_path / "db.sqlite"
    p = subprocess.run([sys.executable, "-m", "oobaudit", "sweep", "-i", str(inv), "--db", f"sqlite:///{db}",
                        "--out", str(tmp_path / "rep")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 4, p.stderr
    assert f"{inv}{expected}" in p.stderr, p.stderr
    assert not db.exists() and not (tmp_path / "rep").exists()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_inventory_loader_raises_only_source_errors(tmp_path, text):
    try:
        load_inventory(tmp_path / "fuzz.yaml", text=text)
    except SourceError as exc:
        assert exc.issues and all(str(i).startswith(str(tmp_path / "fuzz.yaml")) for i in exc.issues)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.lists(st.sampled_from(["Managers", "Links", "@odata.id", "HTTPS", "Certificates"]),
                             max_size=3))
def test_redfish_document_handling_never_raises_and_never_keeps_a_secret(doc, path):
    out = sanitize(doc)
    json.dumps(out)  # still JSON
    if isinstance(doc, dict):
        _link(doc, tuple(path))
        json.dumps(_collapse(doc))
        secret_doc = {**doc, "Password": "hunter2-x", "SNMP": {"CommunityString": "hunter2-y"}}
        assert "hunter2" not in json.dumps(sanitize(secret_doc))
