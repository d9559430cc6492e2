"""Accounts, login accounting, lockout and sessions of one mock BMC.

The auditor promises never to lock an account out while testing default
credentials; tests can only hold it to that promise if the mock counts every
attempt and enforces the profile's lockout policy exactly.  So this module keeps,
per BMC:

* per account: consecutive failed logins, lock state and expiry (``AccountState``);
* per user name tried, known or not: attempts / successes / failures (``LoginStats``);
* failures for unknown user names separately (they never lock anything);
* Redfish sessions with idle timeout and a session limit.

Every failure (unknown user, wrong password, locked or disabled account) looks the
same from outside: callers get ``None`` and answer with one generic 401.

Passwords and tokens never appear in ``repr`` output.  The clock is injectable so
tests can expire locks and sessions without sleeping.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .profiles import AccountServiceSpec

Clock = Callable[[], float]

#: Distinct user names tracked in ``login_attempts``; more are folded into ``OTHER_USERS``.
MAX_TRACKED_USER_NAMES = 4096
OTHER_USERS = "<other>"

#: Privileges of the predefined Redfish roles (DSP0266 / Redfish base privilege registry).
ROLE_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "Administrator": ("Login", "ConfigureManager", "ConfigureUsers", "ConfigureSelf", "ConfigureComponents"),
    "Operator": ("Login", "ConfigureSelf", "ConfigureComponents"),
    "ReadOnly": ("Login", "ConfigureSelf"),
}


@dataclass(slots=True)
class LoginStats:
    """Login attempts made with one user name (each Basic-auth request counts as one)."""

    attempts: int = 0
    successes: int = 0
    failures: int = 0


@dataclass(eq=False)
class AccountState:
    """One local account and its lockout state."""

    id: str
    username: str
    role_id: str
    password: str = field(repr=False)
    clock: Clock = field(repr=False, default=time.monotonic)
    enabled: bool = True
    account_types: tuple[str, ...] = ("Redfish",)
    password_change_required: bool = False
    failed_logins: int = 0
    """Consecutive failed logins since the last success, reset or lock expiry."""
    lockouts: int = 0
    """How many times this account has been locked."""
    locked_until: float | None = field(default=None, repr=False)
    last_failure: float | None = field(default=None, repr=False)

    @property
    def locked(self) -> bool:
        if self.locked_until is None:
            return False
        if self.clock() >= self.locked_until:
            self.locked_until = None
            self.failed_logins = 0
            return False
        return True

    def unlock(self) -> None:
        """What an administrator's ``PATCH {"Locked": false}`` would do."""
        self.locked_until = None
        self.failed_logins = 0

    def password_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self.password.encode("utf-8"))

    @property
    def privileges(self) -> tuple[str, ...]:
        return ROLE_PRIVILEGES.get(self.role_id, ())


@dataclass(eq=False)
class Session:
    """A Redfish login session (``X-Auth-Token``)."""

    id: str
    token: str = field(repr=False)
    account: AccountState
    origin: str | None
    created: float
    last_used: float
    created_wall: float = field(default_factory=time.time, repr=False)


class SessionLimitError(RuntimeError):
    """The BMC already holds ``max_sessions`` live sessions (real BMCs answer 503)."""


class Authenticator:
    """Credential checks, lockout and sessions for one BMC."""

    def __init__(
        self,
        policy: AccountServiceSpec,
        *,
        session_timeout: int,
        max_sessions: int,
        clock: Clock = time.monotonic,
    ) -> None:
        self.policy = policy
        self.session_timeout = session_timeout
        self.max_sessions = max_sessions
        self.clock = clock
        self.accounts: dict[str, AccountState] = {}
        """Local accounts by user name."""
        self.login_attempts: dict[str, LoginStats] = {}
        """Attempts by user name tried (known or not)."""
        self.unknown_user_failures: dict[str, int] = {}
        """Failures for user names that are not accounts (never lock anything)."""
        self.sessions: dict[str, Session] = {}
        self._by_token: dict[str, Session] = {}
        self._dummy = secrets.token_urlsafe(24)

    def add_account(self, account: AccountState) -> None:
        if account.username in self.accounts:
            raise ValueError(f"duplicate account user name {account.username!r}")
        account.clock = self.clock
        self.accounts[account.username] = account

    def account_by_id(self, account_id: str) -> AccountState | None:
        return next((a for a in self.accounts.values() if a.id == account_id), None)

    # ------------------------------------------------------------------ credentials

    def verify(self, username: str, password: str) -> AccountState | None:
        """Check one login attempt and account for it; ``None`` for every kind of failure."""
        stats = self._stats(username)
        stats.attempts += 1
        account = self.accounts.get(username)
        if account is None:
            hmac.compare_digest(password.encode("utf-8", "surrogatepass"), self._dummy.encode())
            stats.failures += 1
            key = username if username in self.login_attempts else OTHER_USERS
            self.unknown_user_failures[key] = self.unknown_user_failures.get(key, 0) + 1
            return None
        matches = account.password_matches(password)
        if account.locked or not account.enabled:
            # A locked account is refused even with the right password; refusals while
            # locked do not extend the lock (bmcweb / pam_faillock behaviour).
            stats.failures += 1
            return None
        if matches:
            account.failed_logins = 0
            account.last_failure = None
            stats.successes += 1
            return account
        stats.failures += 1
        self._record_failure(account)
        return None

    def _record_failure(self, account: AccountState) -> None:
        now = self.clock()
        policy = self.policy
        if (
            policy.AccountLockoutCounterResetEnabled
            and policy.AccountLockoutCounterResetAfter > 0
            and account.last_failure is not None
            and now - account.last_failure >= policy.AccountLockoutCounterResetAfter
        ):
            account.failed_logins = 0
        account.failed_logins += 1
        account.last_failure = now
        threshold = policy.AccountLockoutThreshold
        if threshold > 0 and account.failed_logins >= threshold:
            duration = policy.AccountLockoutDuration
            account.locked_until = now + duration if duration > 0 else math.inf
            account.lockouts += 1

    def _stats(self, username: str) -> LoginStats:
        stats = self.login_attempts.get(username)
        if stats is None:
            if len(self.login_attempts) >= MAX_TRACKED_USER_NAMES and username not in self.accounts:
                username = OTHER_USERS
            stats = self.login_attempts.setdefault(username, LoginStats())
        return stats

    # ------------------------------------------------------------------ sessions

    def create_session(self, account: AccountState, origin: str | None) -> Session:
        self._expire_sessions()
        if len(self.sessions) >= self.max_sessions:
            raise SessionLimitError("session limit reached")
        now = self.clock()
        session = Session(
            id=secrets.token_hex(10),
            token=secrets.token_urlsafe(32),
            account=account,
            origin=origin,
            created=now,
            last_used=now,
        )
        self.sessions[session.id] = session
        self._by_token[session.token] = session
        return session

    def session_for_token(self, token: str) -> Session | None:
        """The live session for ``token`` (its idle timer restarts), or ``None``."""
        session = self._by_token.get(token)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_used > self.session_timeout or not session.account.enabled:
            self.delete_session(session.id)
            return None
        session.last_used = now
        return session

    def delete_session(self, session_id: str) -> bool:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return False
        self._by_token.pop(session.token, None)
        return True

    def live_sessions(self) -> list[Session]:
        self._expire_sessions()
        return list(self.sessions.values())

    def _expire_sessions(self) -> None:
        now = self.clock()
        for session in [s for s in self.sessions.values() if now - s.last_used > self.session_timeout]:
            self.delete_session(session.id)
