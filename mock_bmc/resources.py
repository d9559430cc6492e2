"""The Redfish resource tree of one mock BMC, built on demand.

Documents are assembled per request from the (shared, immutable) profile and the
BMC's small mutable state (accounts, sessions, live ports).  Nothing is cached per
BMC, which keeps a 1,000-BMC fleet small, and live state such as ``Locked`` is
always current.

Resource ids (manager, system, chassis, firmware, ...) come from the profile only;
the URL dispatcher below matches them against the profile, never against
literals, because real platforms disagree (``bmc``, ``1``, ``HGX_BMC_0`` ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from .auth import ROLE_PRIVILEGES, AccountState, Session
from .identity import derive_bytes
from .profiles import ProtocolSpec, SNMPSpec, SSDPSpec

if TYPE_CHECKING:
    from .bmc import MockBMC

ROOT = "/redfish/v1"
SESSIONS = f"{ROOT}/SessionService/Sessions"

#: Schema versions emitted (``#Namespace.vX_Y_Z.Type``); collections are unversioned.
TYPES: dict[str, str] = {
    "ServiceRoot": "v1_15_0",
    "AccountService": "v1_12_0",
    "ManagerAccount": "v1_10_0",
    "Role": "v1_3_1",
    "SessionService": "v1_1_8",
    "Session": "v1_5_0",
    "Manager": "v1_14_0",
    "ManagerNetworkProtocol": "v1_9_0",
    "Certificate": "v1_7_0",
    "ComputerSystem": "v1_20_0",
    "SecureBoot": "v1_1_0",
    "Chassis": "v1_21_0",
    "UpdateService": "v1_11_0",
    "SoftwareInventory": "v1_9_0",
    "CertificateService": "v1_0_4",
    "CertificateLocations": "v1_0_2",
    "ComponentIntegrity": "v1_2_0",
}
COLLECTIONS = (
    "ManagerAccountCollection",
    "RoleCollection",
    "SessionCollection",
    "ManagerCollection",
    "CertificateCollection",
    "ComputerSystemCollection",
    "ChassisCollection",
    "SoftwareInventoryCollection",
    "ComponentIntegrityCollection",
)
_OK = {"State": "Enabled", "Health": "OK"}

#: Listener kinds (keys of ``MockBMC.ports``) and the NetworkProtocol property they back.
LISTENER_PROTOCOLS = {"https": "HTTPS", "http": "HTTP", "ipmi": "IPMI", "ssh": "SSH"}


@dataclass(frozen=True, slots=True)
class ExpandRequest:
    """A parsed ``$expand`` (DSP0266 clause 7.3): which hyperlinks, and how many levels deep.

    ``.`` expands hyperlinks outside ``Links`` (a collection's ``Members``, a manager's
    ``NetworkProtocol``), ``~`` only those inside ``Links``, ``*`` both.
    """

    mode: str  # ".", "~" or "*"
    levels: int = 1

    def wants(self, in_links: bool) -> bool:
        """Does this expansion apply to a hyperlink found inside (or outside) a ``Links`` object?"""
        return self.mode == "*" or (self.mode == "~") == in_links


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the account, and the session if token-authenticated."""

    account: AccountState
    session: Session | None = None

    @property
    def sees_all_accounts(self) -> bool:
        """Administrators and operators read every account; read-only users only themselves.

        (Stricter BMCs such as bmcweb restrict operators to their own account too; the
        mock is lenient so the default auditor role can read the account list.)
        """
        privileges = self.account.privileges
        return "ConfigureUsers" in privileges or "ConfigureComponents" in privileges


def _type(name: str) -> str:
    return f"#{name}.{TYPES[name]}.{name}"


def _link(path: str) -> dict[str, str]:
    return {"@odata.id": path}


def _collection(path: str, type_name: str, name: str, member_ids: Iterable[str]) -> dict[str, Any]:
    members = [_link(f"{path}/{member}") for member in member_ids]
    return {
        "@odata.id": path,
        "@odata.type": f"#{type_name}.{type_name}",
        "Name": name,
        "Members": members,
        "Members@odata.count": len(members),
    }


def _drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


class ResourceTree:
    """Answers ``GET`` for the Redfish paths of one BMC."""

    def __init__(self, bmc: MockBMC) -> None:
        self.bmc = bmc

    # ------------------------------------------------------------------ dispatch

    def get(self, path: str, principal: Principal) -> dict[str, Any] | None:
        """The document at normalised ``path`` (no trailing slash) or ``None`` for 404."""
        if path != ROOT and not path.startswith(ROOT + "/"):
            return None
        parts = [p for p in path[len(ROOT) :].split("/") if p]
        profile = self.bmc.profile
        manager_id, system_id = profile.manager.Id, profile.system.Id
        match parts:
            case []:
                return self.service_root()
            case ["AccountService"]:
                return self.account_service()
            case ["AccountService", "Accounts"]:
                return self.accounts(principal)
            case ["AccountService", "Accounts", account_id]:
                return self.account(account_id, principal)
            case ["AccountService", "Roles"]:
                return _collection(f"{ROOT}/AccountService/Roles", "RoleCollection", "Roles", ROLE_PRIVILEGES)
            case ["AccountService", "Roles", role_id] if role_id in ROLE_PRIVILEGES:
                return self.role(role_id)
            case ["SessionService"]:
                return self.session_service()
            case ["SessionService", "Sessions"]:
                return self.sessions(principal)
            case ["SessionService", "Sessions", session_id]:
                return self.session(session_id, principal)
            case ["Managers"]:
                return _collection(f"{ROOT}/Managers", "ManagerCollection", "Manager Collection", [manager_id])
            case ["Managers", mid] if mid == manager_id:
                return self.manager()
            case ["Managers", mid, "NetworkProtocol"] if mid == manager_id:
                return self.network_protocol()
            case ["Managers", mid, "NetworkProtocol", "HTTPS", "Certificates"] if mid == manager_id:
                return _collection(
                    self._https_certs_path, "CertificateCollection", "HTTPS Certificate Collection", ["1"]
                )
            case ["Managers", mid, "NetworkProtocol", "HTTPS", "Certificates", "1"] if mid == manager_id:
                return self.https_certificate()
            case ["Systems"]:
                return _collection(
                    f"{ROOT}/Systems", "ComputerSystemCollection", "Computer System Collection", [system_id]
                )
            case ["Systems", sid] if sid == system_id:
                return self.system()
            case ["Systems", sid, "SecureBoot"] if sid == system_id:
                return self.secure_boot()
            case ["Chassis"]:
                return _collection(f"{ROOT}/Chassis", "ChassisCollection", "Chassis Collection", profile.chassis)
            case ["Chassis", chassis_id] if chassis_id in profile.chassis:
                return self.chassis(chassis_id)
            case ["UpdateService"]:
                return self.update_service()
            case ["UpdateService", "FirmwareInventory"]:
                return _collection(
                    f"{ROOT}/UpdateService/FirmwareInventory",
                    "SoftwareInventoryCollection",
                    "Software Inventory Collection",
                    profile.firmware_inventory,
                )
            case ["UpdateService", "FirmwareInventory", fw_id] if fw_id in profile.firmware_inventory:
                return self.firmware(fw_id)
            case ["CertificateService"]:
                return self.certificate_service()
            case ["CertificateService", "CertificateLocations"]:
                return self.certificate_locations()
            case ["ComponentIntegrity"] if profile.component_integrity:
                return _collection(
                    f"{ROOT}/ComponentIntegrity",
                    "ComponentIntegrityCollection",
                    "Component Integrity Collection",
                    profile.component_integrity,
                )
            case ["ComponentIntegrity", ci_id] if ci_id in profile.component_integrity:
                return self.component_integrity(ci_id)
        return None

    # ------------------------------------------------------------------ $expand

    def expand(
        self, doc: dict[str, Any], path: str, request: ExpandRequest, principal: Principal | None, *, faulty: bool
    ) -> dict[str, Any]:
        """``doc`` (the resource at ``path``) with the hyperlinks ``request`` selects replaced by their targets.

        Each target is exactly what a ``GET`` by ``principal`` would return, so expansion can
        never show more than separate requests would: without a principal (an anonymous
        request on a public path) only public resources are inlined; a resource the principal
        may not read (another user's account for a ReadOnly user), one that does not exist, one
        already being expanded on this branch (``*`` with levels can loop: system -> chassis ->
        system) and, with ``faulty`` (a fault profile that breaks every resource after the
        root), anything but the service root stay bare links, so the client still meets the
        fault when it follows them.  The documents are built per request, so nothing shared
        is modified.
        """
        return self._expand_object(doc, request, principal, request.levels, (path,), faulty)

    def _expand_object(
        self, doc: dict[str, Any], request: ExpandRequest, principal: Principal | None, levels: int,
        chain: tuple[str, ...], faulty: bool,
    ) -> dict[str, Any]:
        return {
            key: self._expand_value(value, request, principal, levels, chain, faulty, key == "Links")
            for key, value in doc.items()
        }

    def _expand_value(
        self, value: Any, request: ExpandRequest, principal: Principal | None, levels: int,
        chain: tuple[str, ...], faulty: bool, in_links: bool,
    ) -> Any:
        if isinstance(value, list):
            return [self._expand_value(v, request, principal, levels, chain, faulty, in_links) for v in value]
        if not isinstance(value, dict):
            return value
        ref = value.get("@odata.id")
        if len(value) == 1 and isinstance(ref, str):  # a hyperlink
            if not request.wants(in_links):
                return value
            target = "/" + "/".join(p for p in ref.split("/") if p)
            if target in chain or (faulty and target != ROOT):
                return value
            if principal is None:
                # Anonymous: only the service root is public among the documents this tree serves.
                doc = self.service_root() if target == ROOT else None
            else:
                doc = self.get(target, principal)
            if doc is None:
                return value
            if levels > 1:
                return self._expand_object(doc, request, principal, levels - 1, (*chain, target), faulty)
            return doc
        return {
            k: self._expand_value(v, request, principal, levels, chain, faulty, in_links or k == "Links")
            for k, v in value.items()
        }

    # ------------------------------------------------------------------ service root and public documents

    def service_root(self) -> dict[str, Any]:
        profile = self.bmc.profile
        root = profile.service_root
        doc: dict[str, Any] = {
            "@odata.id": ROOT,
            "@odata.type": _type("ServiceRoot"),
            "Id": "RootService",
            "Name": root.Name,
            "RedfishVersion": root.RedfishVersion,
            "UUID": self.bmc.identity.uuid,
            "Vendor": root.Vendor,
            "Product": root.Product,
            "ProtocolFeaturesSupported": {
                "ExpandQuery": self._expand_features(),
                "FilterQuery": False,
                "SelectQuery": False,
                "OnlyMemberQuery": False,
                "ExcerptQuery": False,
            },
            "AccountService": _link(f"{ROOT}/AccountService"),
            "SessionService": _link(f"{ROOT}/SessionService"),
            "Managers": _link(f"{ROOT}/Managers"),
            "Systems": _link(f"{ROOT}/Systems"),
            "Chassis": _link(f"{ROOT}/Chassis"),
            "UpdateService": _link(f"{ROOT}/UpdateService"),
            "CertificateService": _link(f"{ROOT}/CertificateService"),
            "Links": {"Sessions": _link(SESSIONS)},
        }
        if profile.component_integrity:
            doc["ComponentIntegrity"] = _link(f"{ROOT}/ComponentIntegrity")
        return _drop_none(doc)

    def _expand_features(self) -> dict[str, Any]:
        """``ExpandQuery`` as the profile configures it (``expand_ignored`` still advertises: that is the point)."""
        spec = self.bmc.profile.redfish
        if not spec.advertises_expand:
            return {"ExpandAll": False, "Levels": False, "Links": False, "NoLinks": False}
        return {"ExpandAll": True, "Levels": True, "MaxLevels": spec.expand_max_levels, "Links": True, "NoLinks": True}

    def odata_service_document(self) -> dict[str, Any]:
        root = self.service_root()
        entries = [{"name": "Service", "kind": "Singleton", "url": f"{ROOT}/"}]
        for key, value in root.items():
            if isinstance(value, dict) and "@odata.id" in value:
                entries.append({"name": key, "kind": "Singleton", "url": value["@odata.id"]})
        return {"@odata.context": f"{ROOT}/$metadata", "value": entries}

    @staticmethod
    def metadata_xml() -> str:
        """CSDL ``$metadata`` that references the DMTF schemas of every type served."""
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
        ]
        for name, version in TYPES.items():
            uri = quoteattr(f"http://redfish.dmtf.org/schemas/v1/{name}_v1.xml")
            lines.append(f"  <edmx:Reference Uri={uri}>")
            lines.append(f'    <edmx:Include Namespace="{name}"/>')
            lines.append(f'    <edmx:Include Namespace="{name}.{version}"/>')
            lines.append("  </edmx:Reference>")
        for name in COLLECTIONS:
            uri = quoteattr(f"http://redfish.dmtf.org/schemas/v1/{name}_v1.xml")
            lines.append(f"  <edmx:Reference Uri={uri}>")
            lines.append(f'    <edmx:Include Namespace="{name}"/>')
            lines.append("  </edmx:Reference>")
        lines += [
            "  <edmx:DataServices>",
            '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">',
            f'      <EntityContainer Name="Service" Extends="ServiceRoot.{TYPES["ServiceRoot"]}.ServiceContainer"/>',
            "    </Schema>",
            "  </edmx:DataServices>",
            "</edmx:Edmx>",
        ]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ accounts and sessions

    def account_service(self) -> dict[str, Any]:
        policy = self.bmc.profile.account_service
        doc: dict[str, Any] = {
            "@odata.id": f"{ROOT}/AccountService",
            "@odata.type": _type("AccountService"),
            "Id": "AccountService",
            "Name": "Account Service",
            "Description": "Account Service",
            "Status": dict(_OK),
            **policy.model_dump(),
            "Accounts": _link(f"{ROOT}/AccountService/Accounts"),
            "Roles": _link(f"{ROOT}/AccountService/Roles"),
        }
        return _drop_none(doc)

    def _visible_accounts(self, principal: Principal) -> list[AccountState]:
        accounts = list(self.bmc.auth.accounts.values())
        if principal.sees_all_accounts:
            return accounts
        return [a for a in accounts if a is principal.account]

    def accounts(self, principal: Principal) -> dict[str, Any]:
        ids = [a.id for a in self._visible_accounts(principal)]
        return _collection(f"{ROOT}/AccountService/Accounts", "ManagerAccountCollection", "Accounts Collection", ids)

    def account(self, account_id: str, principal: Principal) -> dict[str, Any] | None:
        account = next((a for a in self._visible_accounts(principal) if a.id == account_id), None)
        if account is None:
            return None
        return {
            "@odata.id": f"{ROOT}/AccountService/Accounts/{account.id}",
            "@odata.type": _type("ManagerAccount"),
            "Id": account.id,
            "Name": "User Account",
            "Description": "User Account",
            "UserName": account.username,
            "RoleId": account.role_id,
            "Enabled": account.enabled,
            "Locked": account.locked,
            "Password": None,
            "PasswordChangeRequired": account.password_change_required,
            "AccountTypes": list(account.account_types),
            "Links": {"Role": _link(f"{ROOT}/AccountService/Roles/{account.role_id}")},
        }

    @staticmethod
    def role(role_id: str) -> dict[str, Any]:
        return {
            "@odata.id": f"{ROOT}/AccountService/Roles/{role_id}",
            "@odata.type": _type("Role"),
            "Id": role_id,
            "Name": "User Role",
            "RoleId": role_id,
            "IsPredefined": True,
            "AssignedPrivileges": list(ROLE_PRIVILEGES[role_id]),
        }

    def session_service(self) -> dict[str, Any]:
        spec = self.bmc.profile.session_service
        return {
            "@odata.id": f"{ROOT}/SessionService",
            "@odata.type": _type("SessionService"),
            "Id": "SessionService",
            "Name": "Session Service",
            "Description": "Session Service",
            "Status": dict(_OK),
            "ServiceEnabled": spec.ServiceEnabled,
            "SessionTimeout": spec.SessionTimeout,
            "Sessions": _link(SESSIONS),
        }

    def _visible_sessions(self, principal: Principal) -> list[Session]:
        sessions = self.bmc.auth.live_sessions()
        if principal.sees_all_accounts:
            return sessions
        return [s for s in sessions if s.account is principal.account]

    def sessions(self, principal: Principal) -> dict[str, Any]:
        ids = [s.id for s in self._visible_sessions(principal)]
        return _collection(SESSIONS, "SessionCollection", "Session Collection", ids)

    def session(self, session_id: str, principal: Principal) -> dict[str, Any] | None:
        session = next((s for s in self._visible_sessions(principal) if s.id == session_id), None)
        return None if session is None else self.session_document(session)

    @staticmethod
    def session_document(session: Session) -> dict[str, Any]:
        created = dt.datetime.fromtimestamp(session.created_wall, dt.UTC)
        return _drop_none(
            {
                "@odata.id": f"{SESSIONS}/{session.id}",
                "@odata.type": _type("Session"),
                "Id": session.id,
                "Name": "User Session",
                "Description": "Manager User Session",
                "UserName": session.account.username,
                "Password": None,
                "SessionType": "Redfish",
                "ClientOriginIPAddress": session.origin,
                "CreatedTime": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )

    # ------------------------------------------------------------------ manager

    @property
    def _manager_path(self) -> str:
        return f"{ROOT}/Managers/{self.bmc.profile.manager.Id}"

    @property
    def _https_certs_path(self) -> str:
        return f"{self._manager_path}/NetworkProtocol/HTTPS/Certificates"

    def manager(self) -> dict[str, Any]:
        profile = self.bmc.profile
        spec = profile.manager
        return {
            "@odata.id": self._manager_path,
            "@odata.type": _type("Manager"),
            "Id": spec.Id,
            "Name": spec.Name,
            "Description": "Baseboard Management Controller",
            "ManagerType": spec.ManagerType,
            "Model": spec.Model,
            "FirmwareVersion": spec.FirmwareVersion,
            "UUID": self.bmc.identity.uuid,
            "PowerState": "On",
            "Status": dict(_OK),
            "NetworkProtocol": _link(f"{self._manager_path}/NetworkProtocol"),
            "Links": {
                "ManagerForServers": [_link(f"{ROOT}/Systems/{profile.system.Id}")],
                "ManagerForChassis": [_link(f"{ROOT}/Chassis/{cid}") for cid in profile.chassis],
            },
        }

    def network_protocol(self) -> dict[str, Any]:
        spec = self.bmc.profile.network_protocol
        live = {LISTENER_PROTOCOLS[kind]: port for kind, port in self.bmc.ports.items() if kind in LISTENER_PROTOCOLS}
        doc: dict[str, Any] = {
            "@odata.id": f"{self._manager_path}/NetworkProtocol",
            "@odata.type": _type("ManagerNetworkProtocol"),
            "Id": "NetworkProtocol",
            "Name": "Manager Network Protocol",
            "Description": "Manager Network Service",
            "HostName": self.bmc.name,
            "FQDN": spec.FQDN,
            "Status": dict(_OK),
        }
        for prop in ("HTTP", "HTTPS", "IPMI", "SSH", "Telnet", "SSDP", "KVMIP", "VirtualMedia", "SNMP", "NTP"):
            proto = getattr(spec, prop)
            if proto is None:
                continue
            doc[prop] = self._protocol(proto, live.get(prop))
        doc["HTTPS"]["Certificates"] = _link(self._https_certs_path)
        return _drop_none(doc)

    @staticmethod
    def _protocol(proto: ProtocolSpec, live_port: int | None) -> dict[str, Any]:
        """One protocol object; a listener the mock really runs reports its real port."""
        port = live_port if (live_port is not None and proto.ProtocolEnabled) else proto.Port
        out: dict[str, Any] = {"ProtocolEnabled": proto.ProtocolEnabled, "Port": port}
        if isinstance(proto, SNMPSpec):
            out.update(
                EnableSNMPv1=proto.EnableSNMPv1,
                EnableSNMPv2c=proto.EnableSNMPv2c,
                EnableSNMPv3=proto.EnableSNMPv3,
                HideCommunityStrings=proto.HideCommunityStrings,
                CommunityStrings=[
                    {
                        "Name": c.Name,
                        "AccessMode": c.AccessMode,
                        "CommunityString": None if proto.HideCommunityStrings else c.community,
                    }
                    for c in proto.CommunityStrings
                ],
            )
            if proto.AuthenticationProtocol is not None:
                out["AuthenticationProtocol"] = proto.AuthenticationProtocol
            if proto.EncryptionProtocol is not None:
                out["EncryptionProtocol"] = proto.EncryptionProtocol
        elif isinstance(proto, SSDPSpec):
            for key in ("NotifyMulticastIntervalSeconds", "NotifyTTL", "NotifyIPv6Scope"):
                value = getattr(proto, key)
                if value is not None:
                    out[key] = value
        elif hasattr(proto, "NTPServers"):
            out["NTPServers"] = list(proto.NTPServers)
        return out

    def https_certificate(self) -> dict[str, Any]:
        return {
            "@odata.id": f"{self._https_certs_path}/1",
            "@odata.type": _type("Certificate"),
            "Id": "1",
            "Name": "HTTPS Certificate",
            **self.bmc.certificate.redfish_properties(),
        }

    # ------------------------------------------------------------------ system and chassis

    def system(self) -> dict[str, Any]:
        profile = self.bmc.profile
        spec = profile.system
        path = f"{ROOT}/Systems/{spec.Id}"
        return _drop_none(
            {
                "@odata.id": path,
                "@odata.type": _type("ComputerSystem"),
                "Id": spec.Id,
                "Name": spec.Name,
                "SystemType": spec.SystemType,
                "Manufacturer": spec.Manufacturer,
                "Model": spec.Model,
                "SerialNumber": self.bmc.identity.serial,
                "UUID": self.bmc.identity.system_uuid,
                "BiosVersion": spec.BiosVersion,
                "PowerState": "On",
                "Status": dict(_OK),
                "SecureBoot": _link(f"{path}/SecureBoot"),
                "Links": {
                    "Chassis": [_link(f"{ROOT}/Chassis/{profile.primary_chassis_id}")],
                    "ManagedBy": [_link(self._manager_path)],
                },
            }
        )

    def secure_boot(self) -> dict[str, Any]:
        system_id = self.bmc.profile.system.Id
        return {
            "@odata.id": f"{ROOT}/Systems/{system_id}/SecureBoot",
            "@odata.type": _type("SecureBoot"),
            "Id": "SecureBoot",
            "Name": "UEFI Secure Boot",
            **self.bmc.profile.secure_boot.model_dump(),
        }

    def chassis(self, chassis_id: str) -> dict[str, Any]:
        profile = self.bmc.profile
        spec = profile.chassis[chassis_id]
        primary = chassis_id == profile.primary_chassis_id
        if primary:
            serial = self.bmc.identity.serial
        else:
            ident = profile.identity
            number = int.from_bytes(derive_bytes(self.bmc.identity.uuid, "chassis", chassis_id, length=8), "big")
            serial = f"{ident.serial_prefix}{number % 10**ident.serial_digits:0{ident.serial_digits}d}"
        links: dict[str, Any] = {"ManagedBy": [_link(self._manager_path)]}
        if primary:
            links["ComputerSystems"] = [_link(f"{ROOT}/Systems/{profile.system.Id}")]
        return _drop_none(
            {
                "@odata.id": f"{ROOT}/Chassis/{chassis_id}",
                "@odata.type": _type("Chassis"),
                "Id": chassis_id,
                "Name": spec.Name,
                "ChassisType": spec.ChassisType,
                "Manufacturer": spec.Manufacturer,
                "Model": spec.Model,
                "PartNumber": spec.PartNumber,
                "SerialNumber": serial,
                "Status": dict(_OK),
                "Links": links,
            }
        )

    # ------------------------------------------------------------------ update, certificates, integrity

    def update_service(self) -> dict[str, Any]:
        return {
            "@odata.id": f"{ROOT}/UpdateService",
            "@odata.type": _type("UpdateService"),
            "Id": "UpdateService",
            "Name": "Update Service",
            "Description": "Service for Software Update",
            "ServiceEnabled": True,
            "Status": dict(_OK),
            "FirmwareInventory": _link(f"{ROOT}/UpdateService/FirmwareInventory"),
        }

    def firmware(self, fw_id: str) -> dict[str, Any]:
        spec = self.bmc.profile.firmware_inventory[fw_id]
        return _drop_none(
            {
                "@odata.id": f"{ROOT}/UpdateService/FirmwareInventory/{fw_id}",
                "@odata.type": _type("SoftwareInventory"),
                "Id": fw_id,
                "Name": spec.Name,
                "Description": spec.Description,
                "Version": spec.Version,
                "Manufacturer": spec.Manufacturer,
                "SoftwareId": spec.SoftwareId,
                "Updateable": spec.Updateable,
                "WriteProtected": spec.WriteProtected,
                "Status": {"State": spec.State, "Health": spec.Health},
            }
        )

    def certificate_service(self) -> dict[str, Any]:
        return {
            "@odata.id": f"{ROOT}/CertificateService",
            "@odata.type": _type("CertificateService"),
            "Id": "CertificateService",
            "Name": "Certificate Service",
            "Description": "Actions available to manage certificates",
            "CertificateLocations": _link(f"{ROOT}/CertificateService/CertificateLocations"),
        }

    def certificate_locations(self) -> dict[str, Any]:
        certs = [_link(f"{self._https_certs_path}/1")]
        return {
            "@odata.id": f"{ROOT}/CertificateService/CertificateLocations",
            "@odata.type": _type("CertificateLocations"),
            "Id": "CertificateLocations",
            "Name": "Certificate Locations",
            "Description": "Defines a resource that an administrator can use in order to locate all certificates",
            "Links": {"Certificates": certs, "Certificates@odata.count": len(certs)},
        }

    def component_integrity(self, ci_id: str) -> dict[str, Any]:
        spec = self.bmc.profile.component_integrity[ci_id]
        doc: dict[str, Any] = {
            "@odata.id": f"{ROOT}/ComponentIntegrity/{ci_id}",
            "@odata.type": _type("ComponentIntegrity"),
            "Id": ci_id,
            "Name": spec.Name or ci_id,
            "ComponentIntegrityType": spec.ComponentIntegrityType,
            "ComponentIntegrityTypeVersion": spec.ComponentIntegrityTypeVersion,
            "ComponentIntegrityEnabled": spec.ComponentIntegrityEnabled,
            "TargetComponentURI": spec.TargetComponentURI,
            "Status": dict(_OK) if spec.ComponentIntegrityEnabled else {"State": "Disabled", "Health": "OK"},
        }
        if spec.ComponentIntegrityType == "SPDM":
            doc["SPDM"] = {"Requester": _link(self._manager_path)}
        if spec.TargetComponentURI:
            doc["Links"] = {"ComponentsProtected": [_link(spec.TargetComponentURI)]}
        return _drop_none(doc)
