"""One mock BMC: its identity, accounts and listeners.

A ``MockBMC`` is deliberately small (a few kilobytes plus its TLS context): the
profile is shared with every BMC of its group, Redfish documents are built per
request, and both HTTP listeners use one low-level ``aiohttp.web.Server``.  That
is what lets one process serve a 1,000-BMC fleet.

Extra responders (IPMI over UDP, SSH) plug in through ``mock_bmc.listeners`` and
show up in ``ports`` (and therefore in the emitted inventory) only when running.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
import time
import warnings
from typing import TYPE_CHECKING

from aiohttp import web

from .auth import AccountState, Authenticator, Clock, LoginStats
from .certs import ServedCertificate
from .faults import hang_forever
from .identity import Identity
from .net import bind_tcp
from .profiles import Profile
from .redfish_app import RedfishService
from .tls_alerts import HANGUP_ATTR
from .tls_alerts import install as install_tls_alerts

if TYPE_CHECKING:
    from .listeners import Listener

#: How long in-flight requests (e.g. a ``hang`` fault) may delay ``stop()`` before they are cancelled.
SHUTDOWN_GRACE_S = 0.25
#: Idle keep-alive connections are closed after this many seconds.
KEEPALIVE_TIMEOUT_S = 75.0


class MockBMC:
    """A Redfish BMC on loopback.  State is public for tests: ``accounts``, ``login_attempts``, ``ports``."""

    def __init__(
        self,
        *,
        name: str,
        index: int,
        profile: Profile,
        host: str,
        identity: Identity,
        certificate: ServedCertificate,
        auditor_user: str,
        auditor_password: str,
        auditor_role: str = "Operator",
        latency_ms: int = 0,
        jitter_ms: int = 0,
        site: str = "mock",
        rack: str = "rack-1",
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.index = index
        """Index of this BMC among the fleet's BMCs of the same profile (identity input)."""
        self.profile = profile
        self.host = host
        self.identity = identity
        self.certificate = certificate
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.site = site
        self.rack = rack
        self.realm = profile.service_root.Vendor
        self.ports: dict[str, int] = {}
        """Listener kind (``https``, ``http``, later ``ipmi``, ``ssh``) -> bound port, while running."""
        self.requests_served = 0
        self.auth = Authenticator(
            profile.account_service,
            session_timeout=profile.session_service.SessionTimeout,
            max_sessions=profile.session_service.max_sessions,
            clock=clock,
        )
        for account_id, spec in profile.accounts.items():
            self.auth.add_account(
                AccountState(
                    id=account_id,
                    username=spec.UserName,
                    role_id=spec.RoleId,
                    password=spec.password if spec.password is not None else secrets.token_urlsafe(24),
                    enabled=spec.Enabled,
                    account_types=spec.AccountTypes,
                    password_change_required=spec.PasswordChangeRequired,
                )
            )
        if auditor_user in self.auth.accounts:
            raise ValueError(f"profile {profile.name!r} already defines an account named {auditor_user!r}")
        self.auth.add_account(
            AccountState(
                id=_free_account_id(profile, auditor_user),
                username=auditor_user,
                role_id=auditor_role,
                password=auditor_password,
                account_types=("Redfish",),
            )
        )
        self.extra_listeners: dict[str, Listener] = {}
        self._runner: web.ServerRunner | None = None
        self._black_holes: list[asyncio.Server] = []

    def __repr__(self) -> str:
        return f"<MockBMC {self.name} profile={self.profile.name} ports={self.ports}>"

    # ------------------------------------------------------------------ views for tests and inventory

    @property
    def accounts(self) -> dict[str, AccountState]:
        """Accounts by user name, with live ``failed_logins`` / ``locked``."""
        return self.auth.accounts

    @property
    def login_attempts(self) -> dict[str, LoginStats]:
        return self.auth.login_attempts

    @property
    def unknown_user_failures(self) -> dict[str, int]:
        return self.auth.unknown_user_failures

    @property
    def uuid(self) -> str:
        return self.identity.uuid

    @property
    def serial(self) -> str:
        return self.identity.serial

    @property
    def platform(self) -> str:
        return self.profile.platform

    @property
    def https_url(self) -> str:
        return f"https://{_url_host(self.host)}:{self.ports['https']}"

    @property
    def http_url(self) -> str | None:
        port = self.ports.get("http")
        return None if port is None else f"http://{_url_host(self.host)}:{port}"

    def set_clock(self, clock: Clock) -> None:
        """Replace the monotonic clock used for lockout and session expiry (tests fast-forward time)."""
        self.auth.clock = clock
        for account in self.auth.accounts.values():
            account.clock = clock

    def reveal_password(self, username: str) -> str:
        """The password of a local account, for tests that need to log in as it.  Never log it."""
        return self.auth.accounts[username].password

    # ------------------------------------------------------------------ lifecycle

    async def start(self, https_port: int = 0, http_port: int | None = 0) -> None:
        """Bind and serve HTTPS on ``https_port`` and (unless the profile says ``off``) plain HTTP.

        Port 0 means an ephemeral port; the bound ports are in ``self.ports``.
        """
        if self._runner is not None:
            raise RuntimeError(f"{self.name} is already running")
        server = web.Server(
            RedfishService(self),
            handler_cancellation=True,
            access_log=None,
            keepalive_timeout=KEEPALIVE_TIMEOUT_S,
        )
        runner = web.ServerRunner(server, shutdown_timeout=SHUTDOWN_GRACE_S)
        await runner.setup()
        self._runner = runner
        try:
            if self.profile.faults.hang_accept:
                await self._serve_black_hole("https", https_port)
            else:
                install_tls_alerts()  # refusals end with OpenSSL's alert, as on a real BMC
                ctx = self.certificate.ssl_context()
                _apply_tls_settings(ctx, self.profile)
                if self.profile.faults.tls_handshake_fail:
                    # An ancient web server: TLS 1.0 only, which no modern client will negotiate.
                    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
                    with warnings.catch_warnings():  # deprecated on purpose: that is the fault
                        warnings.simplefilter("ignore", DeprecationWarning)
                        ctx.maximum_version = ssl.TLSVersion.TLSv1
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                await self._serve_on(runner, "https", https_port, ctx)
            if http_port is not None and self.profile.plain_http != "off":
                await self._serve_on(runner, "http", http_port, None)
        except BaseException:
            await self.stop()
            raise

    async def _serve_on(
        self, runner: web.ServerRunner, kind: str, port: int, ssl_context: ssl.SSLContext | None
    ) -> None:
        sock = bind_tcp(self.host, port, owner=f"{self.name} {kind}")
        try:
            await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        except BaseException:
            sock.close()
            raise
        self.ports[kind] = sock.getsockname()[1]

    async def _serve_black_hole(self, kind: str, port: int) -> None:
        """Accept connections and never say a word (a wedged web server)."""

        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await hang_forever()
            finally:
                writer.close()

        sock = bind_tcp(self.host, port, owner=f"{self.name} {kind}")
        self._black_holes.append(await asyncio.start_server(hold, sock=sock))
        self.ports[kind] = sock.getsockname()[1]

    async def start_extra(self, kind: str, listener: Listener, port: int) -> None:
        """Start an extra responder (IPMI, SSH) and publish its port under ``kind``."""
        bound = await listener.start(self.host, port)
        self.extra_listeners[kind] = listener
        self.ports[kind] = bound

    async def stop(self) -> None:
        """Stop every listener; in-flight requests get ``SHUTDOWN_GRACE_S`` before being cancelled."""
        for kind, listener in list(self.extra_listeners.items()):
            try:
                await listener.stop()
            finally:
                self.extra_listeners.pop(kind, None)
                self.ports.pop(kind, None)
        runner, self._runner = self._runner, None
        for hole in self._black_holes:
            hole.close()
        self._black_holes.clear()
        if runner is not None:
            await runner.cleanup()
        self.ports.clear()

    @property
    def running(self) -> bool:
        return self._runner is not None


def _free_account_id(profile: Profile, username: str) -> str:
    """Id for the auditor account that fits the profile's scheme (numeric slots or user names)."""
    ids = list(profile.accounts)
    if ids and all(i.isdigit() for i in ids):
        return str(max(int(i) for i in ids) + 1)
    return username if username not in ids else f"{username}-1"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


_TLS_VERSIONS = {"1.0": "TLSv1", "1.1": "TLSv1_1", "1.2": "TLSv1_2", "1.3": "TLSv1_3"}


def _apply_tls_settings(ctx: ssl.SSLContext, profile: Profile) -> None:
    """The profile's TLS posture on the server context (old versions need SECLEVEL 0 here)."""
    spec = profile.tls
    weak_cert = profile.certificate.key_type == "rsa-1024"
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point of the profile
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = getattr(ssl.TLSVersion, _TLS_VERSIONS[spec.min_version])
        if spec.max_version:
            ctx.maximum_version = getattr(ssl.TLSVersion, _TLS_VERSIONS[spec.max_version])
    if spec.refusal == "hangup":
        setattr(ctx, HANGUP_ATTR, True)
    if spec.ciphers:
        ctx.set_ciphers(spec.ciphers)
    elif spec.min_version in ("1.0", "1.1") or weak_cert:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
