"""SSH test package: make sure OOB-SSH-001 is registered even before oobaudit.checks imports it."""

import oobaudit.checks.ssh  # noqa: F401 - registers OOB-SSH-001
