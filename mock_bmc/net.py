"""Socket helpers: the loopback guard, binding with clear errors, file-descriptor limits.

The mock deliberately serves default credentials and broken services, so it must
never become reachable from a network by accident: it binds loopback only unless
the caller explicitly allows otherwise.
"""

from __future__ import annotations

import ipaddress
import resource
import socket


class BindError(OSError):
    """A listener could not be bound (the message names the BMC, address and port)."""


class NonLoopbackBindError(ValueError):
    """Refused to bind a non-loopback address without ``allow_non_loopback``."""


def is_loopback(host: str) -> bool:
    """True if ``host`` is a loopback literal, or a name that resolves only to loopback addresses."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_bind_host(host: str, allow_non_loopback: bool) -> None:
    if not allow_non_loopback and not is_loopback(host):
        raise NonLoopbackBindError(
            f"refusing to bind {host!r}: mock BMCs serve default credentials and broken services, so they bind "
            "loopback only (127.0.0.0/8 or ::1); pass --allow-non-loopback / allow_non_loopback=True to override"
        )


def bind_tcp(host: str, port: int, *, owner: str) -> socket.socket:
    """A listening-ready TCP socket bound to ``(host, port)``; port 0 picks an ephemeral port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise BindError(exc.errno, f"{owner}: cannot bind {host}:{port}: {exc.strerror or exc}") from None
    return sock


def raise_nofile_limit(needed: int | None = None) -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit; complain if ``needed`` still does not fit.

    A 1,000-BMC fleet holds two listening sockets per BMC plus client connections.
    Returns the resulting (soft, hard) limits.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if needed is not None and soft != resource.RLIM_INFINITY and needed > soft:
        raise OSError(
            f"this fleet needs at least {needed} file descriptors but RLIMIT_NOFILE is {soft} "
            f"(hard limit {hard}); raise it (ulimit -n) or start fewer BMCs"
        )
    return soft, hard
