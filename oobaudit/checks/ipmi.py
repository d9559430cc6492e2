"""OOB-IPMI-001..006: IPMI over LAN, from the BMC's own Redfish report and from the wire.

Evidence comes from two places: Redfish ``ManagerNetworkProtocol`` (what the BMC says)
and the ``ipmi.*`` facts of collectors/ipmi.py (what answers on UDP).  Subjects keep
the two apart: ``<manager>:IPMI`` for the Redfish side, ``udp/PORT`` for the wire.

**The no-answer rule** (IPMI-002..006 when nothing answered on the IPMI port).  The
other IPMI checks can only look at a BMC that answers.  When it does not (ICMP port
unreachable, or silence after every retry), they PASS with "IPMI over LAN not
reachable" only if

1. the wire gave ICMP port unreachable or no answer, or the Redfish side reports IPMI
   disabled (or not offered), **and**
2. every OOB-IPMI-001 verdict for the target is PASS (so the BMC's report and the wire
   agree that IPMI is off, or the port is closed, and nothing about the IPMI exposure
   is unknown).

Otherwise they are ERROR with the reason: e.g. Redfish says IPMI is on but the port is
silent (filtered from this vantage point? another port?), or the port is silent and
Redfish could not be read - "could not check" is never a pass.  OOB-IPMI-001's wire
subject itself: an answer = IPMI is on (FAIL unless the baseline allows it); ICMP port
unreachable = closed (PASS); silence = PASS only when Redfish reports IPMI disabled,
ERROR when Redfish reports it enabled or cannot be read.

**OOB-IPMI-004 severities.**  A user whose RAKP2 HMAC verifies offline against a
published default password is a FAIL at *critical* (anyone on the network gets that
hash without logging in).  The disclosure itself (CVE-2013-4786) is a property of the
IPMI 2.0 protocol, not a misconfiguration: subject ``rakp2-disclosure`` is a FAIL at
*medium* when hashes are disclosed and the baseline does not allow IPMI (turn it off),
and a PASS at *low* ("accepted risk: the baseline allows IPMI; no disclosed hash cracked")
when the baseline allows IPMI - there is no setting that fixes it, so flagging it on
every allowed BMC would only train people to ignore the report.
"""

from __future__ import annotations

from typing import Any

from ..facts import (
    IPMI_AUTH_CAPS,
    IPMI_CIPHER_SUITES,
    IPMI_CIPHER_ZERO,
    IPMI_PRESENCE,
    IPMI_USER,
    IPMI_V15_USERS,
    REDFISH_NETWORK_PROTOCOL,
    Fact,
    TargetFacts,
)
from ..policy import Policy, Settings
from ..wire.rmcpplus import CIPHER_SUITES, ConfidentialityAlgorithm, IntegrityAlgorithm
from ._common import NSA_CISA, enabled, require
from .base import CheckError, Emit, Severity, Status, check

CISA_TA13 = "CISA TA13-207A 'Risks of Using the Intelligent Platform Management Interface (IPMI)'"
FARMER = "Dan Farmer, 'IPMI: Freight Train to Hell' (2013)"

Verdict = tuple[Status, str, str, dict[str, Any]]


# --------------------------------------------------------------------------- shared reading


def _redfish_state(tf: TargetFacts) -> tuple[bool | None, list[Fact]]:
    """(IPMI enabled per Redfish: True / False / None = unknown, the NetworkProtocol facts).

    "Not offered" (no IPMI property in ManagerNetworkProtocol) counts as disabled.
    """
    facts = tf.ok(REDFISH_NETWORK_PROTOCOL)
    states: list[bool | None] = []
    for f in facts:
        if "IPMI" in f.data:
            states.append(enabled(f.data.get("IPMI")))
        else:
            states.append(False)
    if not states:
        return None, facts
    if any(s is True for s in states):
        return True, facts
    if all(s is False for s in states):
        return False, facts
    return None, facts


def _presence(tf: TargetFacts) -> Fact | None:
    return tf.one(IPMI_PRESENCE)


def _no_answer_reason(p: Fact) -> str:
    return str(p.evidence.get("reason") or "timeout")


def _redfish_verdicts(tf: TargetFacts, settings: Settings) -> list[Verdict]:
    try:
        facts = require(tf, REDFISH_NETWORK_PROTOCOL, "ManagerNetworkProtocol")
    except CheckError as exc:
        return [(Status.ERROR, exc.subject, exc.reason, {"source": "redfish"})]
    out: list[Verdict] = []
    for fact in facts:
        state = enabled(fact.data.get("IPMI"))
        subject = f"{fact.subject}:IPMI" if fact.subject else "IPMI"
        ev = {"url": fact.evidence.get("url"), "source": "redfish", "ProtocolEnabled": state}
        if state is True and not settings.ipmi_allowed:
            out.append((Status.FAIL, subject, "IPMI over LAN is enabled (ManagerNetworkProtocol)", ev))
        elif state is True:
            out.append((Status.PASS, subject, "IPMI over LAN is enabled and allowed by the baseline", ev))
        elif state is False:
            out.append((Status.PASS, subject, "IPMI over LAN is disabled (ManagerNetworkProtocol)", ev))
        elif "IPMI" in fact.data:
            out.append((Status.ERROR, subject, "IPMI ProtocolEnabled is not reported", ev))
        else:
            out.append((Status.PASS, subject, "IPMI is not offered by this BMC (not in ManagerNetworkProtocol)", ev))
    return out


def _wire_verdict(tf: TargetFacts, settings: Settings) -> Verdict | None:
    p = _presence(tf)
    if p is None:
        return None
    port = p.evidence.get("port") or p.data.get("port")
    subject = p.subject or f"udp/{port}"
    if p.ok:
        how = " and ".join(x for x in ("an ASF presence pong" if p.data.get("asf_pong") else "",
                                       "Get Channel Auth Capabilities" if p.data.get("gcac_answered") else "") if x)
        ev = {"source": "wire", **p.data}
        if settings.ipmi_allowed:
            return (Status.PASS, subject, f"IPMI over LAN answers on {subject} ({how}); allowed by the baseline", ev)
        return (Status.FAIL, subject, f"IPMI over LAN answers on {subject} ({how})", ev)
    ev = {"source": "wire", "error": p.error, **{k: p.evidence.get(k) for k in ("reason", "sent", "received")}}
    reason = _no_answer_reason(p)
    rf, _ = _redfish_state(tf)
    if reason == "icmp_unreachable":
        note = " (although Redfish reports IPMI enabled)" if rf is True else ""
        return (Status.PASS, subject, f"{subject} is closed: ICMP port unreachable{note}", ev)
    if reason == "timeout":
        if rf is False:
            return (Status.PASS, subject, f"no answer on {subject} and Redfish reports IPMI over LAN disabled", ev)
        if rf is True:
            return (Status.ERROR, subject, f"Redfish reports IPMI over LAN enabled but {subject} did not answer "
                    "(filtered from this vantage point, or on another port): cannot confirm it is unreachable", ev)
        return (Status.ERROR, subject, f"no answer on {subject} and the BMC's Redfish report is unavailable: "
                "a filtered port cannot be told from a disabled service", ev)
    return (Status.ERROR, subject, f"could not probe {subject}: {p.error}", ev)


def _ipmi_001_verdicts(tf: TargetFacts, settings: Settings) -> list[Verdict]:
    out = _redfish_verdicts(tf, settings)
    wire = _wire_verdict(tf, settings)
    if wire is not None:
        out.append(wire)
    return out


def _gate(tf: TargetFacts, settings: Settings) -> tuple[str, str]:
    """For IPMI-002..006: ("probe", "") when the wire answered and the ipmi.* facts decide;
    ("pass", why) or ("error", why) when it did not (the no-answer rule in the module doc)."""
    p = _presence(tf)
    if p is not None and p.ok:
        return "probe", ""
    rf, _ = _redfish_state(tf)
    verdicts = _ipmi_001_verdicts(tf, settings)
    all_pass = bool(verdicts) and all(v[0] is Status.PASS for v in verdicts)
    if p is not None:
        reason = _no_answer_reason(p)
        wire_dark = reason in ("icmp_unreachable", "timeout")
        what = "ICMP port unreachable" if reason == "icmp_unreachable" else "no answer"
        if (wire_dark or rf is False) and all_pass:
            rf_note = "; Redfish: IPMI disabled" if rf is False else ""
            return "pass", f"IPMI over LAN not reachable ({p.subject}: {what}{rf_note})"
        bad = [v for v in verdicts if v[0] is not Status.PASS]
        why = "; ".join(f"{v[1] or 'IPMI-001'}: {v[2]}" for v in bad) or (p.error or "")
        return "error", f"IPMI over LAN did not answer and its exposure is not settled: {why}"
    if rf is False and all_pass:
        return "pass", "IPMI over LAN not reachable (Redfish reports it disabled; not probed on the wire)"
    return "error", "IPMI over LAN was not probed on the wire" + (
        " and Redfish reports it enabled" if rf is True else "")


def _v20_unsupported(tf: TargetFacts) -> bool:
    """True when the BMC does not speak IPMI 2.0 / RMCP+ (GCAC says so, and no Open Session answered)."""
    cz = tf.one(IPMI_CIPHER_ZERO)
    if cz is not None and cz.ok and cz.data.get("ipmi20_supported") is False:
        return True
    caps = tf.one(IPMI_AUTH_CAPS)
    return bool(caps is not None and caps.ok and caps.data.get("supports_ipmi20") is False
                and cz is None)


def _settings(policy: Policy) -> Settings:
    return policy.settings


def _need(tf: TargetFacts, kind: str, what: str, subject: str = "") -> Fact:
    """The one fact of ``kind``, or CheckError naming why it is missing."""
    f = tf.one(kind)
    if f is None:
        inc = tf.one("ipmi.incomplete")
        raise CheckError(f"{what} was not collected" + (f": {inc.error}" if inc is not None else ""), subject)
    if f.error:
        raise CheckError(f"{what} could not be read: {f.error}", subject)
    return f


# --------------------------------------------------------------------------- OOB-IPMI-001


@check(
    id="OOB-IPMI-001",
    title="IPMI over LAN is disabled (or justified by the baseline)",
    family="ipmi",
    severity="high",
    rationale=(
        "IPMI 2.0 over LAN discloses salted password hashes to anyone who asks (RAKP, CVE-2013-4786) and is "
        "often left with cipher suite 0 or anonymous users; it cannot be made safe, only fenced. The BMC's own "
        "report (Redfish) and the wire (ASF presence ping, Get Channel Auth Capabilities on udp/623) are both "
        "checked, so a BMC that says IPMI is off but still answers is caught."
    ),
    remediation=(
        "Disable IPMI over LAN (Redfish: PATCH Managers/{id}/NetworkProtocol IPMI.ProtocolEnabled=false; "
        "ipmitool: 'lan set <ch> access off'); if it must stay, allow only cipher suite 17 and restrict it to "
        "the management VLAN, and record the exception in the baseline (ipmi_allowed: true)."
    ),
    references=("CVE-2013-4786", CISA_TA13, NSA_CISA + " #3",
                "IBM Power10 eBMC security guidelines: keep IPMI disabled"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:CM-7"),
    needs=(REDFISH_NETWORK_PROTOCOL, IPMI_PRESENCE),
)
def ipmi_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    for status, subject, detail, ev in _ipmi_001_verdicts(tf, _settings(policy)):
        emit(status, subject, detail, evidence=ev)


# --------------------------------------------------------------------------- OOB-IPMI-002


@check(
    id="OOB-IPMI-002",
    title="IPMI cipher suite 0 (no authentication) is refused",
    family="ipmi",
    severity="critical",
    rationale=(
        "Cipher suite 0 negotiates RAKP-none, no integrity and no encryption: the BMC accepts any password for "
        "any existing user, so knowing a user name (ADMIN, root, admin) is enough for full control. The check "
        "fails only when the Open Session Response has status 0 AND echoes the proposed 0/0/0 algorithms (nmap "
        "reports any Open Session Response, Metasploit/OpenVAS any status 0, which misreports BMCs that answer "
        "status 0 with another suite); it then logs in with no valid password and runs Get Device ID to confirm."
    ),
    remediation=(
        "Disable cipher suite 0 (ipmitool: 'lan set <ch> cipher_privs' with 'X' for suite 0, vendor tools "
        "e.g. Supermicro IPMICFG / Dell 'racadm set iDRAC.IPMILan'), update the BMC firmware, or disable IPMI "
        "over LAN."
    ),
    references=("CVE-2013-4782 (Supermicro)", "CVE-2013-4783 (Dell iDRAC6/7)", "CVE-2013-4784 (HP iLO)",
                CISA_TA13, FARMER, NSA_CISA + " #3"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:IA-2"),
    needs=(IPMI_PRESENCE, IPMI_CIPHER_ZERO, REDFISH_NETWORK_PROTOCOL),
)
def ipmi_002(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    subject = "cipher-0"
    gate, why = _gate(tf, _settings(policy))
    if gate != "probe":
        emit(Status.PASS if gate == "pass" else Status.ERROR, subject, why)
        return
    f = _need(tf, IPMI_CIPHER_ZERO, "the cipher suite 0 probe", subject)
    d = f.data
    ev = {k: d.get(k) for k in ("status", "status_name", "echoed", "echoed_suite", "accepted",
                                "command_with_wrong_password", "command_user", "command_note")}
    if d.get("ipmi20_supported") is False:
        emit.passed(subject, "IPMI 2.0 (RMCP+) is not supported: there is no cipher suite 0", evidence=ev)
        return
    if d.get("accepted"):
        cmd = d.get("command_with_wrong_password")
        if cmd is True:
            emit.failed(subject, f"cipher suite 0 accepted (status 0, algorithms 0/0/0) and confirmed: "
                        f"{d.get('command_note')}", evidence=ev, severity=Severity.CRITICAL)
        else:
            state = "failed" if cmd is False else "was not tried"
            emit.failed(subject, f"cipher suite 0 accepted (status 0, algorithms 0/0/0); a command with a wrong "
                        f"password {state} ({d.get('command_note')})", evidence=ev, severity=Severity.HIGH)
        return
    status = d.get("status")
    if status == 0:
        emit.passed(subject, f"Open Session for 0/0/0 answered status 0 but the BMC selected "
                    f"{_suite_text(d)}, not cipher suite 0 (nmap / Metasploit would misreport this as vulnerable)",
                    evidence=ev)
    else:
        emit.passed(subject, f"cipher suite 0 refused: status 0x{status:02X} ({d.get('status_name')})"
                    if isinstance(status, int) else "cipher suite 0 refused", evidence=ev)


def _suite_text(d: dict[str, Any]) -> str:
    if d.get("echoed_suite") is not None:
        return f"suite {d['echoed_suite']}"
    echoed = d.get("echoed") or {}
    return f"algorithms {echoed.get('auth')}/{echoed.get('integrity')}/{echoed.get('confidentiality')}"


# --------------------------------------------------------------------------- OOB-IPMI-003


@check(
    id="OOB-IPMI-003",
    title="No anonymous or null-user IPMI login",
    family="ipmi",
    severity="high",
    rationale=(
        "An anonymous login (null user name, null password) or a null user name with a password lets anyone "
        "open an IPMI session without knowing an account; HP iLO, Intel and other BMCs shipped with it on. "
        "Evidence: the anonymous / null-user bits of Get Channel Authentication Capabilities, RAKP1 with an "
        "empty user name (RAKP2 status 0 = the null user exists) and an IPMI 1.5 session challenge for the "
        "empty name."
    ),
    remediation=(
        "Disable user 1 / the null user (ipmitool 'user disable 1', 'user set name 1 \"\"' then disable) and "
        "remove its channel access ('channel setaccess <ch> 1 privilege=15')."
    ),
    references=(CISA_TA13, FARMER, NSA_CISA + " #1, #3", "Greenbone NVT 'IPMI Anonymous Login Enabled'"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:IA-2"),
    needs=(IPMI_PRESENCE, IPMI_AUTH_CAPS, IPMI_USER, IPMI_V15_USERS, REDFISH_NETWORK_PROTOCOL),
)
def ipmi_003(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    subject = "anonymous"
    gate, why = _gate(tf, _settings(policy))
    if gate != "probe":
        emit(Status.PASS if gate == "pass" else Status.ERROR, subject, why)
        return
    caps = _need(tf, IPMI_AUTH_CAPS, "Get Channel Authentication Capabilities", subject).data
    null = next((f for f in tf.ok(IPMI_USER) if f.data.get("username") == ""), None)
    v15 = next(iter(tf.ok(IPMI_V15_USERS)), None)
    reasons: list[str] = []
    if caps.get("anonymous_login"):
        reasons.append("auth capabilities: anonymous login enabled")
    if caps.get("null_usernames"):
        reasons.append("auth capabilities: null user names enabled")
    if null is not None and null.data.get("exists") is True:
        how = (" and its RAKP2 hash verifies with an empty password (anonymous login)"
               if null.data.get("matched_vendor") == "(empty password)" else "")
        reasons.append(f"RAKP1 with an empty user name got RAKP2 status 0 (the null user exists){how}")
    if v15 is not None and (v15.data.get("results") or {}).get("") == "challenge":
        reasons.append("IPMI 1.5 Get Session Challenge for the empty user name succeeded")
    ev = {"anonymous_login": caps.get("anonymous_login"), "null_usernames": caps.get("null_usernames"),
          "null_user_rakp2": null.data.get("rakp2_status_name") if null else None,
          "null_user_exists": null.data.get("exists") if null else None,
          "v15_null_challenge": (v15.data.get("results") or {}).get("") if v15 else None}
    if reasons:
        emit.failed(subject, "; ".join(reasons), evidence=ev)
        return
    note = ""
    if null is None or (null.data.get("exists") is None and not null.data.get("silent")):
        note = " (the RAKP probe of the null user was inconclusive)"
    emit.passed(subject, "no anonymous or null-user login: capability bits clear, no null user found" + note,
                evidence=ev)


# --------------------------------------------------------------------------- OOB-IPMI-004


@check(
    id="OOB-IPMI-004",
    title="No IPMI account whose RAKP hash cracks with the default-password list",
    family="ipmi",
    severity="critical",
    rationale=(
        "IPMI 2.0 RAKP2 returns HMAC(password, salt) for any existing user name before the client proves "
        "anything (CVE-2013-4786): the hash is offline-crackable and never shows up as a failed login. "
        "oobaudit probes well-known user names (ADMIN, admin, root, USERID, Administrator, the null user and "
        "the vendor default list) and checks each disclosed hash offline against the published default "
        "passwords; only the verdict is kept, never the hash or the password."
    ),
    remediation=(
        "Change the password of the named account to a long random one (>= 16 characters: the hash is "
        "exposed to offline cracking whatever you do) or disable the account; better, disable IPMI over LAN. "
        "Restrict UDP/623 to the management network."
    ),
    references=("CVE-2013-4786", CISA_TA13, FARMER, NSA_CISA + " #1, #3",
                "Metasploit auxiliary/scanner/ipmi/ipmi_dumphashes", "hashcat mode 7300"),
    compliance=("NSA-CISA-BMC-2023:1", "NIST-800-53:IA-5(1)"),
    needs=(IPMI_PRESENCE, IPMI_USER, IPMI_AUTH_CAPS, REDFISH_NETWORK_PROTOCOL),
)
def ipmi_004(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = _settings(policy)
    gate, why = _gate(tf, settings)
    disclosure = "rakp2-disclosure"
    if gate != "probe":
        emit(Status.PASS if gate == "pass" else Status.ERROR, disclosure, why)
        return
    users = tf.ok(IPMI_USER)
    if not users:
        if _v20_unsupported(tf):
            emit.passed(disclosure, "IPMI 2.0 (RMCP+) is not supported: RAKP is not offered")
            return
        raise CheckError("no IPMI user name could be probed (RAKP)", disclosure)
    disclosed: list[str] = []
    for f in users:
        d = f.data
        name = d.get("username", "")
        shown = name if name else "(null user)"
        ev = {k: d.get(k) for k in ("username", "exists", "rakp2_status_name", "probe_suite", "hash_disclosed",
                                    "hash_cracked", "matched_vendor", "candidates_tested")}
        if not d.get("hash_disclosed"):
            continue
        disclosed.append(shown)
        cracked = d.get("hash_cracked")
        if cracked is True:
            vendor = d.get("matched_vendor")
            emit.failed(f.subject, f"the RAKP2 hash of {shown!r} verifies offline against a published default "
                        f"password ({vendor})", evidence=ev, severity=Severity.CRITICAL)
        elif cracked is False:
            emit.passed(f.subject, f"the RAKP2 hash of {shown!r} matches none of {d.get('candidates_tested')} "
                        "published default password(s)", evidence=ev)
        elif "credential tests are off" in str(d.get("note") or ""):
            emit.na(f.subject, f"hash of {shown!r} disclosed but not checked: credential tests are off",
                    evidence=ev)
        elif d.get("candidates_tested") == 0 and "no published default" in str(d.get("note") or ""):
            emit.passed(f.subject, f"no published default password exists for {shown!r}", evidence=ev)
        else:
            emit.error(f.subject, f"hash of {shown!r} could not be checked: {d.get('note')}", evidence=ev)
    # the disclosure itself (by design in IPMI 2.0)
    answered = [f for f in users if f.data.get("exists") is not None or f.data.get("silent")]
    ev = {"disclosed_for": disclosed, "names_probed": [f.data.get("username") for f in users]}
    if disclosed:
        names = ", ".join(repr(n) for n in disclosed)
        if settings.ipmi_allowed:
            emit(Status.PASS, disclosure, f"RAKP2 discloses password hashes for {names} (CVE-2013-4786, by "
                 "design in IPMI 2.0): accepted risk, the baseline allows IPMI", evidence=ev, severity=Severity.LOW)
        else:
            emit(Status.FAIL, disclosure, f"RAKP2 discloses offline-crackable password hashes for {names} to "
                 "anyone on the network (CVE-2013-4786); disable IPMI over LAN", evidence=ev,
                 severity=Severity.MEDIUM)
    elif answered:
        emit.passed(disclosure, f"none of the {len(users)} probed user names disclosed a hash", evidence=ev)
    else:
        notes = sorted({str(f.data.get("note")) for f in users if f.data.get("note")})
        emit.error(disclosure, "the RAKP probes were inconclusive: " + "; ".join(notes[:3]), evidence=ev)


# --------------------------------------------------------------------------- OOB-IPMI-005


@check(
    id="OOB-IPMI-005",
    title="No IPMI 1.5 none / MD2 / straight-password authentication; per-message and user-level auth on",
    family="ipmi",
    severity="high",
    rationale=(
        "IPMI 1.5 auth type 'none' needs no password, 'straight password' sends it in clear text and MD2 is "
        "broken; with per-message or user-level authentication disabled, messages inside a session are not "
        "authenticated at all. Read from Get Channel Authentication Capabilities (the auth types the channel "
        "enables at the requested privilege, not the LAN 'Auth Type Support' capability)."
    ),
    remediation=(
        "Allow only MD5 for IPMI 1.5 (ipmitool 'lan set <ch> auth <level> md5' for callback/user/operator/"
        "admin), enable per-message and user-level authentication ('channel setaccess' / vendor tool), or "
        "disable IPMI 1.5 / IPMI over LAN altogether."
    ),
    references=(CISA_TA13, NSA_CISA + " #3", "IPMI v2.0 rev 1.1, table 22-15 (GCAC)"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:SC-8"),
    needs=(IPMI_PRESENCE, IPMI_AUTH_CAPS, REDFISH_NETWORK_PROTOCOL),
)
def ipmi_005(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    subjects = ("auth-types", "per-message-auth", "user-level-auth")
    gate, why = _gate(tf, _settings(policy))
    if gate != "probe":
        for s in subjects:
            emit(Status.PASS if gate == "pass" else Status.ERROR, s, why)
        return
    f = tf.one(IPMI_AUTH_CAPS)
    if f is None or f.error:
        reason = ("Get Channel Authentication Capabilities was not collected" if f is None
                  else f"Get Channel Authentication Capabilities could not be read: {f.error}")
        for s in subjects:
            emit.error(s, reason)
        return
    d = f.data
    ev = {k: d.get(k) for k in ("auth_types", "weak_auth_types", "per_message_auth_disabled",
                                "user_level_auth_disabled", "supports_ipmi15", "supports_ipmi20", "raw_hex")}
    if d.get("supports_ipmi15") is False or not d.get("auth_types"):
        for s in subjects:
            emit.passed(s, "IPMI 1.5 sessions are not offered on this channel", evidence=ev)
        return
    weak = d.get("weak_auth_types") or []
    if weak:
        emit.failed("auth-types", f"IPMI 1.5 weak auth type(s) enabled: {', '.join(weak)} "
                    f"(all enabled: {', '.join(d.get('auth_types') or [])})", evidence=ev)
    else:
        emit.passed("auth-types", f"IPMI 1.5 auth types enabled: {', '.join(d.get('auth_types') or [])}",
                    evidence=ev)
    for subject, key, label in (("per-message-auth", "per_message_auth_disabled", "per-message authentication"),
                                ("user-level-auth", "user_level_auth_disabled", "user-level authentication")):
        if d.get(key):
            emit.failed(subject, f"{label} is disabled: messages inside an IPMI 1.5 session need no auth code",
                        evidence=ev)
        else:
            emit.passed(subject, f"{label} is enabled", evidence=ev)


# --------------------------------------------------------------------------- OOB-IPMI-006

_WEAK_CONF = (ConfidentialityAlgorithm.NONE, ConfidentialityAlgorithm.XRC4_128, ConfidentialityAlgorithm.XRC4_40)


def _suite_weakness(suite_id: int) -> str | None:
    s = CIPHER_SUITES.get(suite_id)
    if s is None:
        return "non-standard suite"
    if s.suite_id == 0:
        return "no authentication"
    if s.integrity == IntegrityAlgorithm.NONE:
        return "no integrity"
    if s.confidentiality in _WEAK_CONF:
        return "no or RC4 encryption"
    if s.integrity in (IntegrityAlgorithm.HMAC_MD5_128, IntegrityAlgorithm.MD5_128):
        return "MD5"
    return None


@check(
    id="OOB-IPMI-006",
    title="Only strong IPMI cipher suites are offered",
    family="ipmi",
    severity="medium",
    rationale=(
        "Suites without integrity or encryption (0-2, 6-7, 11, 15-16), with RC4 (4-5, 9-10, 13-14, 18-19) or "
        "MD5 leave IPMI sessions readable or forgeable on the wire. Suite 17 (HMAC-SHA256, AES-CBC-128) is the "
        "strongest standard suite; suite 3 (SHA1) is mandatory in the spec and may be tolerated by a baseline "
        "(ipmi_cipher_suites_allowed). Read with Get Channel Cipher Suites outside a session."
    ),
    remediation=(
        "Restrict the channel to suite 17 (and 3 only if old clients need it): ipmitool 'lan set <ch> "
        "cipher_privs' with 'X' for every other suite, or the vendor's tool; or disable IPMI over LAN."
    ),
    references=(NSA_CISA + " #3", CISA_TA13, "IPMI v2.0 rev 1.1, table 22-20 (cipher suite IDs)"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:SC-13"),
    needs=(IPMI_PRESENCE, IPMI_CIPHER_SUITES, REDFISH_NETWORK_PROTOCOL),
)
def ipmi_006(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    subject = "cipher-suites"
    settings = _settings(policy)
    gate, why = _gate(tf, settings)
    if gate != "probe":
        emit(Status.PASS if gate == "pass" else Status.ERROR, subject, why)
        return
    if _v20_unsupported(tf):
        emit.passed(subject, "IPMI 2.0 (RMCP+) is not supported: no cipher suites are offered")
        return
    d = _need(tf, IPMI_CIPHER_SUITES, "Get Channel Cipher Suites", subject).data
    allowed = sorted(set(settings.ipmi_cipher_suites_allowed))
    ev = {"offered": d.get("suites"), "allowed": allowed}
    if d.get("ipmi20_supported") is False:
        emit.error(subject, "cipher suites were not listed: the auth capabilities said IPMI 2.0 is not "
                   "supported, yet an RMCP+ Open Session was answered", evidence=ev)
        return
    offered = [int(s) for s in d.get("suites") or []]
    bad = [s for s in offered if s not in allowed]
    if not offered:
        emit.error(subject, "the BMC listed no cipher suites although RMCP+ is supported", evidence=ev)
    elif bad:
        parts = [f"{s} ({_suite_weakness(s) or 'not in the baseline'})" for s in bad]
        weak = any(_suite_weakness(s) in ("no authentication", "no integrity") for s in bad)
        emit.failed(subject, f"cipher suite(s) offered outside the allowed list {allowed}: {', '.join(parts)}",
                    evidence=ev, severity=Severity.HIGH if weak else Severity.MEDIUM)
    else:
        emit.passed(subject, f"only allowed cipher suites are offered: {offered}", evidence=ev)
