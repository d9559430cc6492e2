"""Host (in-band) collector: GPU facts from ``nvidia-smi -q -x`` on the server's own OS, over SSH.

Redfish sees the GPU baseboard through the BMC/HMC; it does not see the driver, and the driver
*is* the GSP firmware (``gsp_*.bin`` ships in the driver package; nvidia-smi prints the driver
version as "GSP Firmware Version", or N/A when GSP is off).  So the GPU host is asked directly:
one SSH login with the inventory's ``host:`` credentials (separate from the BMC's), one command,
``nvidia-smi -q -x``, and the XML is turned into facts.  Collectors never judge: OOB-FW-003 and
OOB-FW-004 (``checks/firmware.py``) compare these facts with the baseline.

Facts (collector ``"host"``); nothing is emitted for a target without a ``host:`` block:

``host.nvidia_smi`` (subject ``host:port`` of the host's SSH endpoint; exactly one per target with a host block)
    The run itself.  ok: ``address``, ``port``, ``username``, ``command``, ``exit_status``,
    ``output_bytes``, ``elapsed_s``, ``host_key`` ``{type, bits, sha256}`` (recorded, **not**
    verified: there is no known-hosts store for GPU hosts yet), ``attached_gpus``,
    ``gpus_reported``.  error: why nothing could be learned, with ``evidence.reason`` one of
    ``credentials`` (password reference unresolvable), ``refused``, ``timeout``, ``unreachable``,
    ``no_banner`` (TCP accepted, no SSH identification: a stalled host may also show as ``timeout``),
    ``closed``, ``protocol`` (SSH failed), ``auth`` (login refused), ``command_missing`` (exit
    127: no nvidia-smi on the PATH), ``command_failed`` (other non-zero exit, e.g. 9 = driver not
    loaded, 6 = no GPU), ``output_too_large``, ``parse`` (not nvidia-smi XML, malformed, DTD
    internal subset / entity declarations refused), ``cancelled`` (the per-target deadline hit),
    ``internal``.
``host.driver`` (subject ``driver``)
    ``driver_version``, ``cuda_version``, ``attached_gpus``, ``timestamp`` and
    ``gsp_firmware_versions``: ``[{index, gpu, pci_bus_id, gsp_firmware_version}]`` (``gpu`` is
    the ``host.gpu`` subject; the version is null when nvidia-smi says N/A = GSP disabled).
``host.gpu`` (subject: the board serial, else ``GPU_<index>``; a repeated serial also falls back)
    ``index`` (position in nvidia-smi's output = PCI order), ``gpu_id`` (the ``<gpu id=…>``
    attribute), ``pci_bus_id``, ``minor_number``, ``serial``, ``uuid``, ``product_name``,
    ``product_architecture``, ``board_part_number``, ``gpu_part_number``, ``module_id`` (see
    below), ``vbios_version``, ``inforom_image`` (``<inforom_version><img_version>``),
    ``inforom_oem_object``, ``inforom_ecc_object``, ``inforom_pwr_object``,
    ``gsp_firmware_version``, ``mig_mode`` / ``mig_mode_pending`` (``<mig_mode><current_mig>`` /
    ``<pending_mig>``: Enabled, Disabled, or null for N/A), ``cc_mode`` (``on`` / ``off`` /
    ``devtools`` / null), ``cc_mode_source`` and ``cc_protected_memory_mib``.

Values nvidia-smi reports as ``N/A``, ``[N/A]``, ``Not Supported`` etc. are null.  Every string
is cut to printable ASCII (the host may be the compromised party; its text ends up in reports).

Mapping to Redfish names.  nvidia-smi's order (PCI bus order) and bus ids do **not** map reliably
to ``HGX_FW_GPU_SXM_<n>``; the facts keep the host's own identities (serial, UUID, bus id).  The
serial is the join key: a check that finds a Redfish resource with the same ``SerialNumber`` names
it.  ``module_id`` (``<gpu_module_id>``, or ``<platformInfo><module_id>`` on newer drivers) is
NVML's "unique identifier for the GPU module on the baseboard": kept as a hint, never used to map.

Confidential computing: which element carries it is **uncertain**.  Public ``nvidia-smi -q -x``
structures of current drivers (e.g. the GPU struct of NVIDIA/cloud-native-stack, drivers 550-580)
have no per-GPU CC *mode* element, only ``<cc_protected_memory_usage>`` (``0 MiB`` total unless CC
partitions protected memory); the mode itself is what ``nvidia-smi conf-compute -f`` prints.  So
``cc_mode`` comes from an explicit element if a driver emits one (``conf_compute_mode``,
``cc_mode``, ``gpu_cc_mode``: names guessed, none confirmed; ``cc_mode_source`` says
``element:<name>``), else it is inferred from the protected-memory total (> 0 → ``on``, 0 → ``off``,
``cc_mode_source: inferred:cc_protected_memory_usage``), else null.

Safety: the XML is parsed with expat directly into an ElementTree; a DOCTYPE with an internal
subset, any entity declaration and any external entity reference are refused (no billion laughs,
no XXE); output is capped (:data:`MAX_OUTPUT_BYTES`), and so are element count and depth.  The
password is used for one ``auth_password`` call and appears in no fact, reason or log (reasons
are additionally scrubbed of it).  Every network step is bounded by ``timeout``; the command by
``command_timeout`` (default ``3 * timeout``).  The blocking work runs in a worker thread
(``asyncio.to_thread``): the engine's deadline cancels the coroutine (an error fact records it)
and the thread ends on its own timeouts.
"""

from __future__ import annotations

import asyncio
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from paramiko.ssh_exception import AuthenticationException, SSHException

from ..facts import HOST_DRIVER, HOST_GPU, HOST_KINDS, HOST_NVIDIA_SMI, Fact  # noqa: F401 - re-exported
from ..inventory import Target
from ..secrets import Secret, SecretError
from .ssh import CLIENT_VERSION, ProbeError, _hostport, _open_transport, _ssh_reason, fingerprint

COLLECTOR = "host"

COMMAND = "nvidia-smi -q -x"
#: Largest nvidia-smi output accepted (8 GPUs with process and clock lists are well under 1 MiB).
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
#: stderr kept for the reason of a failed command.
MAX_STDERR_BYTES = 4096
MAX_ELEMENTS = 200_000
MAX_DEPTH = 32
MAX_GPUS = 64
MAX_TEXT = 128

_NA = {"", "n/a", "[n/a]", "not supported", "[not supported]", "unknown error", "[unknown error]",
       "insufficient permissions", "[insufficient permissions]", "requested functionality has been deprecated"}
#: Candidate per-GPU CC-mode elements; none is confirmed in public captures (see the module docstring).
CC_MODE_ELEMENTS = ("conf_compute_mode", "cc_mode", "gpu_cc_mode")
_MIB = re.compile(r"(\d{1,9})\s*MiB")


class HostError(Exception):
    """Nothing (more) could be learned from the host; ``kind`` is ``evidence.reason``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class SmiParseError(HostError):
    def __init__(self, reason: str) -> None:
        super().__init__("parse", reason)


# --------------------------------------------------------------------------- XML


def _text(raw: str | None, limit: int = MAX_TEXT) -> str | None:
    """Printable ASCII, trimmed, at most ``limit`` characters; None for nvidia-smi's N/A forms."""
    if raw is None:
        return None
    text = "".join(c if 32 <= ord(c) < 127 else " " for c in raw).strip()
    text = " ".join(text.split())[:limit]
    return None if text.lower() in _NA else text


def safe_parse(data: bytes, *, max_bytes: int = MAX_OUTPUT_BYTES) -> ET.Element:
    """Parse untrusted XML: size-capped, no entity declarations, no internal DTD subset, no
    external entities, bounded element count and depth.  Raises :class:`SmiParseError`."""
    if len(data) > max_bytes:
        raise SmiParseError(f"nvidia-smi output larger than {max_bytes} bytes")
    if not data.strip():
        raise SmiParseError("nvidia-smi printed nothing")
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()
    state = {"count": 0, "depth": 0}

    def refuse(what: str):
        def handler(*_args: Any) -> None:
            raise SmiParseError(f"refused: the XML contains {what}")
        return handler

    def doctype(_name: str, _sysid: str | None, _pubid: str | None, has_internal_subset: int) -> None:
        if has_internal_subset:
            raise SmiParseError("refused: the XML has a DTD internal subset (entity declarations)")

    def start(tag: str, attrs: dict[str, str]) -> None:
        state["count"] += 1
        state["depth"] += 1
        if state["count"] > MAX_ELEMENTS:
            raise SmiParseError(f"refused: more than {MAX_ELEMENTS} XML elements")
        if state["depth"] > MAX_DEPTH:
            raise SmiParseError(f"refused: XML nested deeper than {MAX_DEPTH}")
        builder.start(tag, attrs)

    def end(tag: str) -> None:
        state["depth"] -= 1
        builder.end(tag)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = refuse("an unparsed entity declaration")
    parser.NotationDeclHandler = refuse("a notation declaration")
    parser.ExternalEntityRefHandler = refuse("an external entity reference")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        root = builder.close()
    except expat.ExpatError as exc:
        raise SmiParseError(f"not well-formed XML: {expat.ErrorString(exc.code)} "
                            f"(line {exc.lineno}, column {exc.offset})") from None
    except (AssertionError, IndexError, RecursionError, ValueError) as exc:  # TreeBuilder on broken input
        raise SmiParseError(f"malformed XML: {type(exc).__name__}") from None
    return root


def _find(el: ET.Element, path: str) -> str | None:
    node = el.find(path)
    return None if node is None else _text(node.text)


def _cc(gpu: ET.Element) -> tuple[str | None, str | None, int | None]:
    """(cc_mode, cc_mode_source, protected memory total in MiB)."""
    total: int | None = None
    raw_total = _find(gpu, "cc_protected_memory_usage/total")
    if raw_total is not None:
        m = _MIB.fullmatch(raw_total)
        total = int(m.group(1)) if m else None
    for name in CC_MODE_ELEMENTS:
        value = _find(gpu, name)
        if value is not None:
            low = value.lower()
            mode = {"enabled": "on", "on": "on", "disabled": "off", "off": "off", "devtools": "devtools"}.get(low)
            return (mode or value), f"element:{name}", total
    if total is not None:
        return ("on" if total > 0 else "off"), "inferred:cc_protected_memory_usage", total
    return None, None, total


@dataclass
class SmiReport:
    driver_version: str | None
    cuda_version: str | None
    attached_gpus: int | None
    timestamp: str | None
    gpus: list[dict[str, Any]] = field(default_factory=list)


def parse_nvidia_smi(data: bytes, *, max_bytes: int = MAX_OUTPUT_BYTES) -> SmiReport:
    """``nvidia-smi -q -x`` output -> driver and per-GPU values.  Raises :class:`SmiParseError`."""
    root = safe_parse(data, max_bytes=max_bytes)
    if root.tag != "nvidia_smi_log":
        raise SmiParseError(f"not nvidia-smi XML: the root element is <{_text(root.tag, 40)}>, "
                            "not <nvidia_smi_log>")
    attached_raw = _find(root, "attached_gpus")
    attached = int(attached_raw) if attached_raw is not None and attached_raw.isdigit() else None
    report = SmiReport(driver_version=_find(root, "driver_version"), cuda_version=_find(root, "cuda_version"),
                       attached_gpus=attached, timestamp=_find(root, "timestamp"))
    gpus = root.findall("gpu")
    if len(gpus) > MAX_GPUS:
        raise SmiParseError(f"refused: {len(gpus)} <gpu> elements (more than {MAX_GPUS})")
    for index, gpu in enumerate(gpus):
        cc_mode, cc_source, cc_total = _cc(gpu)
        module = _find(gpu, "gpu_module_id") or _find(gpu, "platformInfo/module_id")
        report.gpus.append({
            "index": index,
            "gpu_id": _text(gpu.get("id")),
            "pci_bus_id": _find(gpu, "pci/pci_bus_id") or _text(gpu.get("id")),
            "minor_number": _find(gpu, "minor_number"),
            "serial": _find(gpu, "serial"),
            "uuid": _find(gpu, "uuid"),
            "product_name": _find(gpu, "product_name"),
            "product_architecture": _find(gpu, "product_architecture"),
            "board_part_number": _find(gpu, "board_part_number"),
            "gpu_part_number": _find(gpu, "gpu_part_number"),
            "module_id": module,
            "vbios_version": _find(gpu, "vbios_version"),
            "inforom_image": _find(gpu, "inforom_version/img_version"),
            "inforom_oem_object": _find(gpu, "inforom_version/oem_object"),
            "inforom_ecc_object": _find(gpu, "inforom_version/ecc_object"),
            "inforom_pwr_object": _find(gpu, "inforom_version/pwr_object"),
            "gsp_firmware_version": _find(gpu, "gsp_firmware_version"),
            "mig_mode": _find(gpu, "mig_mode/current_mig"),
            "mig_mode_pending": _find(gpu, "mig_mode/pending_mig"),
            "cc_mode": cc_mode,
            "cc_mode_source": cc_source,
            "cc_protected_memory_mib": cc_total,
        })
    return report


def gpu_subject(gpu: dict[str, Any], taken: set[str]) -> str:
    """The board serial, else (missing, N/A or already used by another GPU) ``GPU_<index>``."""
    serial = gpu.get("serial")
    if isinstance(serial, str) and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", serial) and serial not in taken:
        return serial
    return f"GPU_{gpu['index']}"


def report_facts(report: SmiReport, run: dict[str, Any], evidence: dict[str, Any]) -> list[Fact]:
    """The ``host.nvidia_smi`` (ok), ``host.driver`` and ``host.gpu`` facts of one parsed report."""
    subject = _hostport(run["address"], run["port"])
    facts = [Fact(kind=HOST_NVIDIA_SMI, subject=subject, collector=COLLECTOR, evidence=evidence,
                  data={**run, "attached_gpus": report.attached_gpus, "gpus_reported": len(report.gpus)})]
    taken: set[str] = set()
    gsp: list[dict[str, Any]] = []
    gpu_facts: list[Fact] = []
    for gpu in report.gpus:
        name = gpu_subject(gpu, taken)
        taken.add(name)
        gsp.append({"index": gpu["index"], "gpu": name, "pci_bus_id": gpu["pci_bus_id"],
                    "gsp_firmware_version": gpu["gsp_firmware_version"]})
        gpu_facts.append(Fact(kind=HOST_GPU, subject=name, collector=COLLECTOR, data=dict(gpu),
                              evidence={**evidence, "xpath": f"/nvidia_smi_log/gpu[{gpu['index'] + 1}]"}))
    facts.append(Fact(kind=HOST_DRIVER, subject="driver", collector=COLLECTOR, evidence=evidence,
                      data={"driver_version": report.driver_version, "cuda_version": report.cuda_version,
                            "attached_gpus": report.attached_gpus, "timestamp": report.timestamp,
                            "gsp_firmware_versions": gsp}))
    return facts + gpu_facts


# --------------------------------------------------------------------------- SSH


@dataclass
class RunResult:
    exit_status: int
    stdout: bytes
    stderr: bytes
    host_key: dict[str, Any]
    elapsed_s: float


def run_command(address: str, port: int, username: str, password: Secret, *, timeout: float,
                command_timeout: float, max_output: int = MAX_OUTPUT_BYTES, command: str = COMMAND) -> RunResult:
    """Blocking: log in with a password (keyboard-interactive as paramiko's fallback), run
    ``command``, return its exit status and bounded output.  Raises :class:`HostError`."""
    started = time.monotonic()
    try:
        t = _open_transport(address, port, timeout)
    except ProbeError as exc:
        raise HostError(exc.kind, exc.reason) from None
    except (SSHException, OSError, EOFError) as exc:
        if "protocol banner" in str(exc):  # paramiko's banner_timeout fired first (or EOF before a banner)
            raise HostError("no_banner", f"TCP connected but no SSH banner from the host within {timeout:g} s "
                            "(not an SSH server, or stalled)") from None
        raise HostError("protocol", f"SSH negotiation failed: {_ssh_reason(exc)}") from None
    try:
        key = t.get_remote_server_key()
        host_key = {"type": key.get_name(), "bits": key.get_bits(), "sha256": fingerprint(key)}
        try:
            t.auth_password(username, password.reveal(), fallback=True)
        except AuthenticationException:
            raise HostError("auth", f"the host refused the login of {username!r} (password rejected, "
                            "or password authentication not offered)") from None
        except (SSHException, OSError, EOFError) as exc:
            raise HostError("protocol", f"connection failed during the login: {_ssh_reason(exc)}") from None
        if not t.is_authenticated():
            raise HostError("auth", f"the host did not complete the login of {username!r}")
        try:
            chan = t.open_session(timeout=timeout)
            chan.exec_command(command)
            chan.shutdown_write()
        except (SSHException, OSError, EOFError) as exc:
            raise HostError("protocol", f"could not run {command!r}: {_ssh_reason(exc)}") from None
        stdout, stderr = _read_all(chan, started + command_timeout, max_output, command)
        end = started + command_timeout
        while not chan.exit_status_ready():
            if time.monotonic() > end:
                raise HostError("timeout", f"{command!r} did not exit within {command_timeout:g} s")
            time.sleep(0.01)
        return RunResult(chan.recv_exit_status(), stdout, stderr, host_key, time.monotonic() - started)
    finally:
        t.close()


def _read_all(chan: Any, deadline: float, max_output: int, command: str) -> tuple[bytes, bytes]:
    out, err = bytearray(), bytearray()
    chan.settimeout(0.1)
    eof = False
    while not eof:
        if time.monotonic() > deadline:
            raise HostError("timeout", f"{command!r} did not finish within the time allowed "
                            f"({len(out)} bytes read)")
        while chan.recv_stderr_ready():
            chunk = chan.recv_stderr(4096)
            if len(err) < MAX_STDERR_BYTES:
                err += chunk[: MAX_STDERR_BYTES - len(err)]
        try:
            chunk = chan.recv(65536)
        except TimeoutError:
            continue
        except (SSHException, OSError, EOFError) as exc:
            raise HostError("closed", f"connection lost while reading the output: {_ssh_reason(exc)}") from None
        if not chunk:
            eof = True
        else:
            out += chunk
            if len(out) > max_output:
                raise HostError("output_too_large", f"{command!r} printed more than {max_output} bytes")
    while chan.recv_stderr_ready() and len(err) < MAX_STDERR_BYTES:
        err += chan.recv_stderr(4096)[: MAX_STDERR_BYTES - len(err)]
    return bytes(out), bytes(err)


def _redact(text: str, secret: Secret | None) -> str:
    if secret is not None:
        value = secret.reveal()
        if value and value in text:
            text = text.replace(value, "********")
    return text


def _exit_reason(status: int, stderr: bytes) -> tuple[str, str]:
    detail = _text(stderr.decode("utf-8", "replace"), 200)
    tail = f": {detail}" if detail else ""
    if status == 127:
        return "command_missing", f"nvidia-smi is not installed or not on the PATH on the host (exit 127){tail}"
    if status == -1:
        return "command_failed", f"{COMMAND!r} ended without an exit status{tail}"
    return "command_failed", f"{COMMAND!r} failed with exit status {status}{tail}"


# --------------------------------------------------------------------------- entry point


async def collect_host(target: Target, out: list[Fact], *, timeout: float, command_timeout: float | None = None,
                       max_output: int = MAX_OUTPUT_BYTES) -> None:
    """Run ``nvidia-smi -q -x`` on ``target.host`` (the GPU server's OS) and append the facts to ``out``.

    No ``host:`` block: nothing is appended.  Otherwise exactly one ``host.nvidia_smi`` fact (ok,
    or an error with its reason), and on success one ``host.driver`` and one ``host.gpu`` per GPU.
    ``timeout`` bounds each network step; the whole command gets ``command_timeout`` seconds
    (default ``3 * timeout``).  Never raises, except ``CancelledError`` (recorded first).
    """
    host = target.host
    if host is None:
        return
    subject = _hostport(host.address, host.port)
    evidence: dict[str, Any] = {"address": host.address, "port": host.port, "username": host.credentials.username,
                                "command": COMMAND, "client": CLIENT_VERSION, "collected_over": "ssh (in-band)",
                                "host_key_verified": False}

    def error(kind: str, reason: str, **extra: Any) -> None:
        out.append(Fact(kind=HOST_NVIDIA_SMI, subject=subject, collector=COLLECTOR,
                        error=_redact(reason, secret), evidence={**evidence, **extra, "reason": kind}))

    secret: Secret | None = None
    try:
        try:
            secret = host.credentials.password.resolve()
        except SecretError as exc:
            error("credentials", f"host password not available: {exc}")
            return
        budget = command_timeout if command_timeout is not None else 3 * timeout
        try:
            res = await asyncio.to_thread(run_command, host.address, host.port, host.credentials.username, secret,
                                          timeout=timeout, command_timeout=budget, max_output=max_output)
        except HostError as exc:
            error(exc.kind, exc.reason)
            return
        run = {"address": host.address, "port": host.port, "username": host.credentials.username,
               "command": COMMAND, "exit_status": res.exit_status, "output_bytes": len(res.stdout),
               "elapsed_s": round(res.elapsed_s, 3), "host_key": res.host_key}
        if res.exit_status != 0:
            kind, reason = _exit_reason(res.exit_status, res.stderr)
            error(kind, reason, exit_status=res.exit_status, host_key=res.host_key)
            return
        try:
            report = parse_nvidia_smi(res.stdout, max_bytes=max_output)
        except SmiParseError as exc:
            error("parse", f"nvidia-smi output unusable: {exc.reason}", exit_status=0, host_key=res.host_key,
                  output_bytes=len(res.stdout))
            return
        out.extend(report_facts(report, run, {**evidence, "host_key": res.host_key}))
    except asyncio.CancelledError:
        error("cancelled", "host collection cancelled before it finished (per-target deadline)")
        raise
    except Exception as exc:  # a bug here must cost this fact, not the sweep
        error("internal", f"internal error in the host collector: {type(exc).__name__}")
