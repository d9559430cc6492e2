"""Default-credential testing that never locks an account out.

The policy, per target and sweep:
1. read the lockout policy (Redfish AccountService) before any attempt;
2. budget per account = min(threshold - 2, 3) when the BMC locks after
   ``threshold`` failures, 3 when it never locks (threshold 0 - which is itself a
   finding), and 0 when the threshold is unknown and ``--assume-lockout`` is set
   (1 otherwise: one wrong password cannot lock an account whose threshold is >= 2);
3. try only accounts that exist and are enabled and not locked (when the account
   list is readable), vendor-matching defaults first;
4. compare the auditor's *own* password offline first: no attempt needed.
Only the verdict is recorded (account, protocol, vendor row): never the password.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import aiohttp
import yaml

from .. import facts as F
from ..facts import Fact
from ..inventory import Target
from ..secrets import Secret
from .http import describe_error

if TYPE_CHECKING:
    from .redfish import _Crawl

COLLECTOR = "credentials"


@dataclass(frozen=True)
class DefaultRow:
    vendor: str
    product: str
    user: str
    password: str = field(repr=False)
    source: str = ""


@functools.cache
def default_rows() -> tuple[DefaultRow, ...]:
    text = resources.files("oobaudit.data").joinpath("default_credentials.yaml").read_text(encoding="utf-8")
    return tuple(DefaultRow(**{k: str(v) for k, v in row.items()}) for row in yaml.safe_load(text))


@dataclass
class CredentialOptions:
    enabled: bool = True
    assume_lockout: bool = False
    max_attempts: int = 3


def attempt_budget(threshold: Any, opts: CredentialOptions) -> tuple[int, str]:
    """Attempts allowed per account this sweep, and why."""
    cap = max(0, min(opts.max_attempts, 3))
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        if opts.assume_lockout:
            return 0, "lockout threshold unknown and --assume-lockout is set"
        return min(1, cap), "lockout threshold unknown: one attempt per account"
    if threshold == 0:
        return cap, "the BMC never locks accounts (threshold 0)"
    return max(0, min(threshold - 2, cap)), f"lockout threshold {threshold}: at most threshold - 2 attempts"


def order_rows(vendor_hint: str) -> dict[str, list[DefaultRow]]:
    """Candidate passwords per user name, vendor-matching rows first, no repeats."""
    hint = vendor_hint.lower()
    rows = sorted(default_rows(), key=lambda r: 0 if r.vendor.lower() in hint else 1)
    per_user: dict[str, list[DefaultRow]] = {}
    for row in rows:
        lst = per_user.setdefault(row.user, [])
        if all(r.password != row.password for r in lst):
            lst.append(row)
    return per_user


async def test_redfish_defaults(
    crawl: _Crawl,
    target: Target,
    root: dict[str, Any] | None,
    out: list[Fact],
    opts: CredentialOptions,
    unauth: bool | None,
    auditor: tuple[str | None, Secret | None] | None,
) -> None:
    def policy(data: dict[str, Any], error: str | None = None) -> None:
        out.append(Fact(kind=F.CRED_POLICY, subject="redfish", collector=COLLECTOR, data=data, error=error))

    if not opts.enabled:
        policy({"enabled": False})
        return
    if unauth:
        policy({"enabled": True, "reason": "protected resources are readable without credentials"})
        out.append(Fact(kind=F.CRED_LOGIN, subject="redfish:(none)", collector=COLLECTOR,
                        data={"protocol": "redfish", "username": "", "outcome": "no_auth", "attempts": 0,
                              "budget": 0}))
        return
    if root is None:
        policy({"enabled": True}, error="the auditor could not log in, so the lockout policy is unknown; "
               "no default passwords were tried")
        return

    svc = next((f for f in out if f.kind == F.REDFISH_ACCOUNT_SERVICE and f.ok), None)
    threshold = svc.data.get("AccountLockoutThreshold") if svc else None
    budget, why = attempt_budget(threshold, opts)
    accounts = [f for f in out if f.kind == F.REDFISH_ACCOUNT and f.ok]
    existing: dict[str, dict[str, Any]] | None = (
        {a.data.get("UserName"): a.data for a in accounts if a.data.get("UserName")} if accounts else None
    )
    hint = " ".join(str(x) for x in (
        (root or {}).get("Vendor"), (root or {}).get("Product"),
        *(f.data.get("Manufacturer") for f in out if f.kind == F.REDFISH_MANAGER and f.ok),
        *(f.data.get("Model") for f in out if f.kind == F.REDFISH_MANAGER and f.ok),
    ) if x)
    candidates = order_rows(hint)
    policy({"enabled": True, "lockout_threshold": threshold,
            "lockout_duration": svc.data.get("AccountLockoutDuration") if svc else None,
            "budget": budget, "reason": why, "accounts_known": existing is not None,
            "assume_lockout": opts.assume_lockout})

    protected = _protected_url(root)
    auditor_user, auditor_secret = auditor or (None, None)
    for user, rows in candidates.items():
        subject = f"redfish:{user}"
        base = {"protocol": "redfish", "username": user, "budget": budget, "lockout_threshold": threshold}
        if existing is not None:
            acct = existing.get(user)
            if acct is None:
                continue  # no such account: nothing to test, nothing to report
            if acct.get("Enabled") is False:
                continue
            if acct.get("Locked") is True:
                out.append(Fact(kind=F.CRED_LOGIN, subject=subject, collector=COLLECTOR,
                                data={**base, "outcome": "skipped", "attempts": 0,
                                      "reason": "account is locked; not adding failures"}))
                continue
        if user == auditor_user and auditor_secret is not None:
            match = next((r for r in rows if r.password == auditor_secret.reveal()), None)
            out.append(Fact(kind=F.CRED_LOGIN, subject=subject, collector=COLLECTOR,
                            data={**base, "attempts": 0, "method": "offline (auditor's own password)",
                                  "outcome": "accepted" if match else "rejected",
                                  "matched_vendor": match.vendor if match else None}))
            continue
        if budget == 0:
            out.append(Fact(kind=F.CRED_LOGIN, subject=subject, collector=COLLECTOR,
                            data={**base, "outcome": "skipped", "attempts": 0, "reason": why}))
            continue
        attempts = 0
        verdict: str = "rejected"
        matched: str | None = None
        error: str | None = None
        for row in rows[:budget]:
            attempts += 1
            try:
                ok = await _try_basic(crawl, protected, user, Secret(row.password))
            except _AttemptError as exc:
                error = exc.reason
                break
            if ok:
                verdict, matched = "accepted", row.vendor
                break
        out.append(Fact(kind=F.CRED_LOGIN, subject=subject, collector=COLLECTOR,
                        data={**base, "outcome": verdict if error is None else "error", "attempts": attempts,
                              "matched_vendor": matched, "method": "HTTP Basic on " + protected},
                        error=error))


def _basic(user: str, password: Secret) -> str:
    raw = f"{user}:{password.reveal()}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class _AttemptError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _protected_url(root: dict[str, Any]) -> str:
    for key in ("AccountService", "Systems", "Managers", "SessionService"):
        link = root.get(key)
        if isinstance(link, dict) and isinstance(link.get("@odata.id"), str):
            return link["@odata.id"]
    return "/redfish/v1/Systems"


async def _try_basic(crawl: _Crawl, path: str, user: str, password: Secret) -> bool:
    """One login attempt with HTTP Basic on a protected resource; no session is created."""
    session: aiohttp.ClientSession = crawl.client._session  # noqa: SLF001 - the caller-owned session
    url = crawl.client._resolve_url(path)  # noqa: SLF001 - same-origin guard of the DMTF client
    async with crawl.sem:
        crawl.requests += 1
        try:
            async with session.get(
                url, headers={"Authorization": _basic(user, password)}, allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=crawl.opts.timeout),
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _AttemptError(describe_error(exc)) from None
    if 200 <= status < 300:
        return True
    if status in (401, 403):
        return False
    raise _AttemptError(f"unexpected HTTP {status} to a login attempt")
