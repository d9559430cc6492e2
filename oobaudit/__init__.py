"""oobaudit: out-of-band (BMC) and firmware hardening auditor for GPU data centers."""

__version__ = "0.1.0"
