"""Policy settings the checks judge against, with documented defaults.

A signed baseline may override any of these; when none applies, the defaults
below are used and the report says so.  Defaults follow the NSA/CISA 2023 BMC
guidance and vendor hardening guides (see ../shared/reference/hardening-controls.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Minimum TLS protocol version the BMC's HTTPS may accept.
    min_tls_version: str = "1.2"
    #: ManagerNetworkProtocol services that must be disabled (OOB-SVC-001).
    #: SNMPv1 / SNMPv2c name the SNMP sub-versions.  HTTP is judged on the wire
    #: by OOB-HTTP-001 and IPMI by OOB-IPMI-001, so they are not listed here.
    services_off: tuple[str, ...] = ("Telnet", "SSDP", "SNMPv1", "SNMPv2c", "KVMIP", "VirtualMedia")
    #: IPMI over LAN may be enabled (OOB-IPMI-001).
    ipmi_allowed: bool = False
    #: Cipher suites IPMI may offer when it is allowed (OOB-IPMI-006).
    ipmi_cipher_suites_allowed: tuple[int, ...] = (17,)
    #: Accounts allowed on the BMC as ``{"name glob": "max role"}``; ``None``
    #: means "no allow-list": only generic/shared names are flagged.
    allowed_accounts: dict[str, str] | None = None
    #: Generic or shared account names flagged when no allow-list is given.
    generic_account_names: tuple[str, ...] = ("test*", "guest", "temp*", "demo*", "user", "anonymous", "default")
    #: Maximum idle session timeout in seconds (OOB-ACCT-003; HPE: 30 min).
    session_timeout_max: int = 1800
    #: Minimum password length (OOB-ACCT-001; HPE/NSA: >= 8, sites often 14).
    password_min_length: int = 8
    #: Lockout must be on (threshold >= 1) and at most this many failures.
    lockout_threshold_max: int = 10
    #: Host UEFI Secure Boot must be enabled (OOB-BOOT-001).
    secure_boot_required: bool = True
    #: Default-credential testing (OOB-CRED-001): attempts per account per sweep.
    credential_attempts_max: int = Field(default=3, ge=0, le=3)


DEFAULT_SETTINGS = Settings()
