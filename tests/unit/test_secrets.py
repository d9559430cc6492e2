from __future__ import annotations

import logging
import pickle

import pytest

from oobaudit.secrets import Secret, SecretError, parse_ref


def test_secret_is_redacted_everywhere_it_could_be_printed(caplog):
    s = Secret("hunter2-sentinel")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "hunter2" not in f"{s}" and \
        "hunter2" not in f"{s!r}"
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("t").warning("value %s %r", s, s)
    assert "hunter2" not in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(s)
    assert s.reveal() == "hunter2-sentinel"


def test_refs(tmp_path, monkeypatch):
    monkeypatch.setenv("X_PASS", "v")
    assert parse_ref("env:X_PASS").resolve().reveal() == "v"
    (tmp_path / "p").write_text("filepw\n")
    assert parse_ref("file:p", base_dir=tmp_path).resolve().reveal() == "filepw"
    with pytest.raises(SecretError, match="cannot read secret file"):
        parse_ref("file:missing", base_dir=tmp_path).resolve()
    with pytest.raises(SecretError) as ei:
        parse_ref("plaintext-pw")
    assert "plaintext-pw" not in str(ei.value)
    with pytest.raises(SecretError):
        parse_ref("env:bad-name")
