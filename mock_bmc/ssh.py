"""Mock SSH server for one BMC (paramiko), with the profile's algorithms and the BMC's accounts.

Configuration is the typed ``ssh:`` section of a profile (:class:`mock_bmc.profiles.SshSpec`):
banner software, key exchange / host key / cipher / MAC / compression lists, the host key
type and size, the authentication methods offered, strict-kex (Terrapin countermeasure)
and a ``no_banner`` fault.  The fleet starts it on ``P+4i+3`` (``register_listener`` below).

* **Algorithms** are exactly the profile's, in its order.  Besides paramiko's own, the
  SHA-1 key exchanges (``diffie-hellman-group1-sha1``, ``-group14-sha1``) and ``ssh-rsa``
  host-key signatures are really implemented (``oobaudit.collectors.ssh.AuditTransport``),
  so a factory-default BMC can be both seen *and* used with them.  Group exchange is not
  offered (it needs a moduli file).  An unsupported name makes the fleet refuse to start.
* **Host keys**: ed25519 and ECDSA keys derive from the BMC's name and UUID (stable across
  restarts of the same fleet seed); RSA keys are random.  Keys are made on the first
  connection, so an SSH-enabled fleet of 1,000 BMCs starts as fast as one without.
* **Authentication** (``password`` and/or ``keyboard-interactive``) goes through the same
  :class:`mock_bmc.auth.Authenticator` as Redfish, on the fleet's event loop: SSH failures
  count toward the same lockout, ``bmc.accounts[u].failed_logins`` / ``.locked`` and
  ``bmc.login_attempts`` include them.  ``none`` is never accepted; ``publickey`` may be
  listed but no key is ever accepted.  AccountTypes are not enforced (real BMCs differ).
* **Sessions**: a shell request gets a one-line banner and the channel closes.  An exec of
  ``nvidia-smi -q -x`` on a BMC whose profile has a ``host_gpu:`` section answers the GPU
  host's XML (:func:`nvidia_smi_xml`, in nvidia-smi's real element layout) with exit status
  0: the BMC's SSH port doubles as the GPU host's OS in the mock (the emitted inventory's
  ``host:`` block points here, with the auditor's account).  Any other command, or that one
  without ``host_gpu``, answers exit status 127 (command not found), as a shell would.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import socket
import threading
import time
import uuid as uuidlib
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from oobaudit.collectors.ssh import AuditTransport, LegacyRSAKey

from .listeners import register_listener
from .net import bind_tcp
from .profiles import SshHostKeySpec, SshSpec

if TYPE_CHECKING:
    from .bmc import MockBMC

log = logging.getLogger(__name__)
LOG_CHANNEL = "mock_bmc.ssh.paramiko"
logging.getLogger(LOG_CHANNEL).setLevel(logging.CRITICAL)

#: Seconds a connection may take from TCP accept to an open session channel.
LOGIN_GRACE_S = 60.0
#: Seconds the paramiko worker threads may wait for the event loop to check a password.
VERIFY_TIMEOUT_S = 10.0

_CURVES = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}


def supported_algorithms() -> dict[str, tuple[str, ...]]:
    """What the responder can really negotiate, per profile field."""
    return {
        "kex": tuple(k for k in AuditTransport._kex_info if not k.startswith("diffie-hellman-group-exchange")),
        "ciphers": tuple(AuditTransport._cipher_info),
        "macs": tuple(AuditTransport._mac_info),
        "compression": tuple(AuditTransport._compression_info),
    }


def host_key_algorithms(spec: SshHostKeySpec) -> tuple[str, ...]:
    """Host-key algorithms a key of this type can sign with."""
    if spec.type == "ed25519":
        return ("ssh-ed25519",)
    if spec.type == "ecdsa":
        return (f"ecdsa-sha2-nistp{spec.bits or 256}",)
    return ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


def validate(cfg: SshSpec) -> None:
    """Raise ValueError naming every algorithm the responder cannot implement."""
    problems: list[str] = []
    for name, supported in supported_algorithms().items():
        bad = [a for a in getattr(cfg, name) if a not in supported]
        if bad:
            problems.append(f"ssh.{name}: not implemented by the mock: {', '.join(bad)} "
                            f"(supported: {', '.join(supported)})")
    if cfg.host_key_algorithms is not None:
        possible = host_key_algorithms(cfg.host_key)
        bad = [a for a in cfg.host_key_algorithms if a not in possible]
        if bad or not cfg.host_key_algorithms:
            problems.append(f"ssh.host_key_algorithms: a {cfg.host_key.type} key can only use {', '.join(possible)}")
    if problems:
        raise ValueError("; ".join(problems))


def make_host_key(spec: SshHostKeySpec, seed: str) -> paramiko.PKey:
    """The BMC's host key; ed25519 / ECDSA derive from ``seed``, RSA is random."""
    digest = hashlib.sha256(f"mock_bmc ssh host key|{seed}".encode()).digest()
    if spec.type == "ed25519":
        priv = ed25519.Ed25519PrivateKey.from_private_bytes(digest)
        pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                 serialization.NoEncryption()).decode()
        return paramiko.Ed25519Key(file_obj=io.StringIO(pem))
    if spec.type == "ecdsa":
        curve = _CURVES[spec.bits or 256]
        # Below 2^(size-2) + 1, so always inside [1, n-1] for the NIST curves.
        value = int.from_bytes(hashlib.sha512(digest).digest(), "big") % (2 ** (curve.key_size - 2)) + 1
        priv_ec = ec.derive_private_key(value, curve)
        return paramiko.ECDSAKey(vals=(priv_ec, priv_ec.public_key()))
    return LegacyRSAKey(key=rsa.generate_private_key(public_exponent=65537, key_size=spec.bits or 3072))


# --------------------------------------------------------------------------- the GPU host's nvidia-smi

#: Commands answered from ``host_gpu`` (whitespace-normalised).
NVIDIA_SMI_COMMANDS = frozenset({"nvidia-smi -q -x", "nvidia-smi -x -q"})


def host_gpus(bmc: MockBMC) -> list[dict[str, object]]:
    """The GPUs nvidia-smi reports on ``bmc``'s host, in its order (PCI bus order), with the
    derived serials / UUIDs filled in; ``[]`` without ``host_gpu``.  Tests read expectations here."""
    section = bmc.profile.host_gpu
    if section is None:
        return []
    rows = []
    for slot, g in section.gpus.items():
        digest = hashlib.sha256(f"mock_bmc host gpu|{bmc.identity.serial}|{slot}".encode()).digest()
        serial = g.serial or f"165{int.from_bytes(digest[:8], 'big') % 10**10:010d}"
        gpu_uuid = g.uuid or f"GPU-{uuidlib.UUID(bytes=digest[8:24], version=4)}"
        gsp = g.gsp_firmware_version or (section.driver_version if section.gsp_enabled else "N/A")
        rows.append({"slot": slot, "name": g.name, "serial": serial, "uuid": gpu_uuid,
                     "vbios_version": g.vbios_version, "inforom_image": g.inforom_image,
                     "pci_bus_id": g.pci_bus_id.upper(), "module_id": g.module_id, "cc_mode": g.cc_mode,
                     "mig_mode": g.mig_mode, "gsp_firmware_version": gsp})
    rows.sort(key=lambda r: str(r["pci_bus_id"]))
    for index, row in enumerate(rows):
        row["index"] = index
    return rows


def nvidia_smi_xml(bmc: MockBMC) -> bytes:
    """``nvidia-smi -q -x`` output for ``bmc``'s host.  The element names, order and nesting follow
    real nvidia-smi 550-series output (DTD ``nvsmi_device_v12.dtd``; public captures and the GPU
    struct of NVIDIA/cloud-native-stack); sensor sections the auditor does not read are left out.
    CC mode has no element of its own there: it shows as a non-zero ``cc_protected_memory_usage``."""
    section = bmc.profile.host_gpu
    assert section is not None
    gpus = host_gpus(bmc)

    def e(value: object) -> str:
        return escape(str(value))

    lines = ['<?xml version="1.0" ?>', '<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">', "<nvidia_smi_log>",
             "\t<timestamp>Mon Nov  2 10:00:00 2026</timestamp>",
             f"\t<driver_version>{e(section.driver_version)}</driver_version>",
             f"\t<cuda_version>{e(section.cuda_version)}</cuda_version>",
             f"\t<attached_gpus>{len(gpus)}</attached_gpus>"]
    for g in gpus:
        bus = str(g["pci_bus_id"])
        domain, b, rest = bus.split(":")
        device = rest.split(".")[0]
        cc_total = "0 MiB" if g["cc_mode"] == "off" else "73728 MiB"
        lines += [
            f'\t<gpu id="{e(bus)}">',
            f"\t\t<product_name>{e(g['name'])}</product_name>",
            "\t\t<product_brand>NVIDIA</product_brand>",
            "\t\t<product_architecture>Hopper</product_architecture>",
            "\t\t<display_mode>Disabled</display_mode>",
            "\t\t<display_active>Disabled</display_active>",
            "\t\t<persistence_mode>Enabled</persistence_mode>",
            "\t\t<addressing_mode>None</addressing_mode>",
            "\t\t<mig_mode>",
            f"\t\t\t<current_mig>{e(g['mig_mode'])}</current_mig>",
            f"\t\t\t<pending_mig>{e(g['mig_mode'])}</pending_mig>",
            "\t\t</mig_mode>",
            "\t\t<mig_devices>",
            "\t\t\tNone",
            "\t\t</mig_devices>",
            "\t\t<accounting_mode>Disabled</accounting_mode>",
            "\t\t<accounting_mode_buffer_size>4000</accounting_mode_buffer_size>",
            "\t\t<driver_model>",
            "\t\t\t<current_dm>N/A</current_dm>",
            "\t\t\t<pending_dm>N/A</pending_dm>",
            "\t\t</driver_model>",
            f"\t\t<serial>{e(g['serial'])}</serial>",
            f"\t\t<uuid>{e(g['uuid'])}</uuid>",
            f"\t\t<minor_number>{g['index']}</minor_number>",
            f"\t\t<vbios_version>{e(g['vbios_version'])}</vbios_version>",
            "\t\t<multigpu_board>No</multigpu_board>",
            f"\t\t<board_id>0x{int(b, 16) << 8:x}</board_id>",
            "\t\t<board_part_number>692-2G520-0200-000</board_part_number>",
            "\t\t<gpu_part_number>2330-885-A1</gpu_part_number>",
            "\t\t<gpu_fru_part_number>N/A</gpu_fru_part_number>",
            f"\t\t<gpu_module_id>{'N/A' if g['module_id'] is None else g['module_id']}</gpu_module_id>",
            "\t\t<inforom_version>",
            f"\t\t\t<img_version>{e(g['inforom_image'])}</img_version>",
            "\t\t\t<oem_object>2.1</oem_object>",
            "\t\t\t<ecc_object>7.16</ecc_object>",
            "\t\t\t<pwr_object>N/A</pwr_object>",
            "\t\t</inforom_version>",
            "\t\t<gpu_operation_mode>",
            "\t\t\t<current_gom>N/A</current_gom>",
            "\t\t\t<pending_gom>N/A</pending_gom>",
            "\t\t</gpu_operation_mode>",
            "\t\t<c2c_mode>N/A</c2c_mode>",
            "\t\t<gpu_virtualization_mode>",
            "\t\t\t<virtualization_mode>None</virtualization_mode>",
            "\t\t\t<host_vgpu_mode>N/A</host_vgpu_mode>",
            "\t\t\t<vgpu_heterogeneous_mode>N/A</vgpu_heterogeneous_mode>",
            "\t\t</gpu_virtualization_mode>",
            "\t\t<gpu_reset_status>",
            "\t\t\t<reset_required>No</reset_required>",
            "\t\t\t<drain_and_reset_recommended>N/A</drain_and_reset_recommended>",
            "\t\t</gpu_reset_status>",
            f"\t\t<gsp_firmware_version>{e(g['gsp_firmware_version'])}</gsp_firmware_version>",
            "\t\t<ibmnpu>",
            "\t\t\t<relaxed_ordering_mode>N/A</relaxed_ordering_mode>",
            "\t\t</ibmnpu>",
            "\t\t<pci>",
            f"\t\t\t<pci_bus>{e(b)}</pci_bus>",
            f"\t\t\t<pci_device>{e(device)}</pci_device>",
            f"\t\t\t<pci_domain>{e(domain[-4:])}</pci_domain>",
            "\t\t\t<pci_device_id>233010DE</pci_device_id>",
            f"\t\t\t<pci_bus_id>{e(bus)}</pci_bus_id>",
            "\t\t\t<pci_sub_system_id>16C110DE</pci_sub_system_id>",
            "\t\t</pci>",
            "\t\t<fan_speed>N/A</fan_speed>",
            "\t\t<performance_state>P0</performance_state>",
            "\t\t<fb_memory_usage>",
            "\t\t\t<total>81559 MiB</total>",
            "\t\t\t<reserved>551 MiB</reserved>",
            "\t\t\t<used>0 MiB</used>",
            "\t\t\t<free>81008 MiB</free>",
            "\t\t</fb_memory_usage>",
            "\t\t<bar1_memory_usage>",
            "\t\t\t<total>131072 MiB</total>",
            "\t\t\t<used>1 MiB</used>",
            "\t\t\t<free>131071 MiB</free>",
            "\t\t</bar1_memory_usage>",
            "\t\t<cc_protected_memory_usage>",
            f"\t\t\t<total>{cc_total}</total>",
            "\t\t\t<used>0 MiB</used>",
            f"\t\t\t<free>{cc_total}</free>",
            "\t\t</cc_protected_memory_usage>",
            "\t\t<compute_mode>Default</compute_mode>",
            "\t\t<ecc_mode>",
            "\t\t\t<current_ecc>Enabled</current_ecc>",
            "\t\t\t<pending_ecc>Enabled</pending_ecc>",
            "\t\t</ecc_mode>",
            "\t\t<processes>",
            "\t\t</processes>",
            "\t\t<accounted_processes>",
            "\t\t</accounted_processes>",
            "\t</gpu>",
        ]
    lines += ["</nvidia_smi_log>", ""]
    return "\n".join(lines).encode()


class _Server(paramiko.ServerInterface):
    def __init__(self, responder: SshResponder) -> None:
        self.r = responder
        self.session = threading.Event()
        self.exec_command: bytes | None = None
        self._kbd_user = ""

    def get_allowed_auths(self, username: str) -> str:
        return ",".join(self.r.cfg.auth_methods)

    def check_auth_none(self, username: str) -> int:
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        if "password" not in self.r.cfg.auth_methods:
            return paramiko.AUTH_FAILED
        return paramiko.AUTH_SUCCESSFUL if self.r.check_password(username, password) else paramiko.AUTH_FAILED

    def check_auth_interactive(self, username: str, submethods: str) -> int | paramiko.InteractiveQuery:
        if "keyboard-interactive" not in self.r.cfg.auth_methods:
            return paramiko.AUTH_FAILED
        self._kbd_user = username
        return paramiko.InteractiveQuery("", "", ("Password: ", False))

    def check_auth_interactive_response(self, responses: list[str]) -> int:
        if len(responses) != 1:
            return paramiko.AUTH_FAILED
        ok = self.r.check_password(self._kbd_user, responses[0])
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.session.set()
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        self.exec_command = command
        self.session.set()
        return True


class SshResponder:
    """The SSH listener of one mock BMC (``mock_bmc.listeners.Listener``)."""

    def __init__(self, bmc: MockBMC, cfg: SshSpec) -> None:
        validate(cfg)
        self.bmc = bmc
        self.cfg = cfg
        self.port: int | None = None
        self.connections_served = 0
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._key: paramiko.PKey | None = None
        self._key_lock = threading.Lock()
        self._lock = threading.Lock()
        self._active: set[paramiko.Transport] = set()
        self._workers = 0
        self._silent: list[socket.socket] = []
        self._stopping = False

    @property
    def banner(self) -> str:
        tail = f" {self.cfg.comments}" if self.cfg.comments else ""
        return f"SSH-2.0-{self.cfg.software}{tail}"

    def host_key(self) -> paramiko.PKey:
        with self._key_lock:
            if self._key is None:
                self._key = make_host_key(self.cfg.host_key, f"{self.bmc.name}|{self.bmc.uuid}")
            return self._key

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str, port: int) -> int:
        sock = bind_tcp(host, port, owner=f"{self.bmc.name} ssh")
        try:
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._accept_loop(), name=f"{self.bmc.name}-ssh-accept")
        self.port = sock.getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with self._lock:
            active, self._active = list(self._active), set()
            silent, self._silent = self._silent, []
        for t in active:
            t.close()
        for s in silent:
            s.close()

    async def _accept_loop(self) -> None:
        assert self._sock is not None and self._loop is not None
        while True:
            try:
                conn, _addr = await self._loop.sock_accept(self._sock)
            except asyncio.CancelledError:
                raise
            except OSError as exc:  # e.g. EMFILE: keep serving, do not spin
                log.warning("%s ssh: accept failed: %s", self.bmc.name, exc)
                await asyncio.sleep(0.1)
                continue
            self._admit(conn)

    def _admit(self, conn: socket.socket) -> None:
        with self._lock:
            admit = not self._stopping and self._workers + len(self._silent) < self.cfg.max_connections
            if admit and self.cfg.no_banner:
                self._silent.append(conn)  # held open, never answered, closed on stop()
                return
            if admit:
                self._workers += 1
        if not admit:
            conn.close()  # like sshd's MaxStartups: drop, do not queue
            return
        conn.setblocking(True)
        self.connections_served += 1
        threading.Thread(target=self._serve, args=(conn,), name=f"{self.bmc.name}-ssh", daemon=True).start()

    # ------------------------------------------------------------------ one connection (worker thread)

    def _serve(self, conn: socket.socket) -> None:
        t: paramiko.Transport | None = None
        try:
            t = AuditTransport(conn, strict_kex=self.cfg.strict_kex)
            t.set_log_channel(LOG_CHANNEL)
            t.local_version = self.banner
            t.banner_timeout = 15
            t.handshake_timeout = 15
            opts = t.get_security_options()
            opts.kex = self.cfg.kex
            opts.ciphers = self.cfg.ciphers
            opts.digests = self.cfg.macs
            opts.compression = self.cfg.compression
            opts.key_types = self.cfg.host_key_algorithms or host_key_algorithms(self.cfg.host_key)
            t.add_server_key(self.host_key())
            with self._lock:
                if self._stopping:
                    return
                self._active.add(t)
            server = _Server(self)
            t.start_server(server=server)
            deadline = time.monotonic() + LOGIN_GRACE_S
            chan = None
            while chan is None and t.is_active() and time.monotonic() < deadline:
                chan = t.accept(timeout=0.5)
            if chan is None:
                return
            server.session.wait(10)
            self._answer(chan, server)
        except (paramiko.SSHException, EOFError, OSError, ValueError) as exc:
            log.debug("%s ssh: connection ended: %s", self.bmc.name, exc)
        finally:
            if t is not None:
                t.close()
            else:
                conn.close()
            with self._lock:
                self._workers -= 1
                if t is not None:
                    self._active.discard(t)

    def _answer(self, chan: paramiko.Channel, server: _Server) -> None:
        vendor = self.bmc.profile.service_root.Vendor
        if server.exec_command is not None:
            command = " ".join(server.exec_command.decode("utf-8", "replace").split())
            if command in NVIDIA_SMI_COMMANDS and self.bmc.profile.host_gpu is not None:
                chan.sendall(nvidia_smi_xml(self.bmc))
                chan.send_exit_status(0)
            else:
                name = command.split(" ", 1)[0][:64] if command else ""
                chan.sendall_stderr(f"sh: 1: {name}: not found\n".encode("utf-8", "replace"))
                chan.send_exit_status(127)
        else:
            chan.sendall(f"{self.bmc.name} ({vendor} mock BMC) - this console closes now.\r\n".encode())
            chan.send_exit_status(0)
        chan.close()
        # Let the client read and hang up first: closing with its messages still unread would
        # reset the connection and could drop the output above.
        end = time.monotonic() + 2.0
        transport = chan.get_transport()
        while transport is not None and transport.is_active() and time.monotonic() < end:
            time.sleep(0.02)

    # ------------------------------------------------------------------ credentials (shared with Redfish)

    def check_password(self, username: str, password: str) -> bool:
        """One login attempt, accounted by the BMC's Authenticator on the fleet's event loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False

        async def verify() -> bool:
            return self.bmc.auth.verify(username, password) is not None

        try:
            return asyncio.run_coroutine_threadsafe(verify(), loop).result(timeout=VERIFY_TIMEOUT_S)
        except Exception:  # loop stopping, timeout: a failed login, never a success
            return False


def _factory(bmc: MockBMC) -> SshResponder | None:
    cfg = bmc.profile.ssh
    if not cfg.enabled:
        return None
    try:
        return SshResponder(bmc, cfg)
    except ValueError as exc:
        raise ValueError(f"profile {bmc.profile.name!r}: {exc}") from None


register_listener("ssh", port_offset=3, factory=_factory)
