"""The Redfish tree over real HTTPS on loopback."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
from typing import Any

import aiohttp
import pytest
import redfish
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from mock_bmc.bmc import MockBMC
from mock_bmc.fleet import Fleet

from .helpers import afetch, basic, fetch, pick

PUBLIC = ["/redfish", "/redfish/v1", "/redfish/v1/", "/redfish/v1/$metadata", "/redfish/v1/odata"]


def _get(fleet: Fleet, bmc: MockBMC, path: str) -> Any:
    reply = fetch("GET", bmc.https_url + path, headers=basic(fleet.auditor_user, fleet.auditor_password))
    assert reply.status == 200, (path, reply.status, reply.body[:200])
    return reply.json()


def test_curl_basic_auth(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    # Credentials go through curl's config on stdin (same as -u), so they never show in `ps`.
    config = f'user = "{fleet.auditor_user}:{fleet.auditor_password}"\n'
    out = subprocess.run(
        ["curl", "-sS", "-k", "--max-time", "10", "-K", "-", f"{bmc.https_url}/redfish/v1/Systems"],
        input=config,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["Members"] == [{"@odata.id": "/redfish/v1/Systems/system"}]
    assert doc["Members@odata.count"] == 1


def test_public_paths_need_no_auth(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    for path in PUBLIC:
        reply = fetch("GET", bmc.https_url + path)
        assert reply.status == 200, path
    root = fetch("GET", bmc.https_url + "/redfish/v1").json()
    assert root["UUID"] == bmc.uuid
    assert (root["Vendor"], root["RedfishVersion"]) == ("OpenBMC", "1.17.0")
    assert root["Links"]["Sessions"]["@odata.id"] == "/redfish/v1/SessionService/Sessions"
    assert b"<edmx:Edmx" in fetch("GET", bmc.https_url + "/redfish/v1/$metadata").body


def test_every_other_path_needs_auth_and_401_reveals_nothing(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    url = bmc.https_url + "/redfish/v1/AccountService/Accounts"
    variants = {
        "none": {},
        "wrong password": basic(fleet.auditor_user, "wrong-password"),
        "unknown user": basic("nobody", "whatever"),
        "garbled header": {"Authorization": "Basic !!!"},
        "bad token": {"X-Auth-Token": "not-a-token"},
    }
    replies = {name: fetch("GET", url, headers=h) for name, h in variants.items()}
    replies["unknown path"] = fetch("GET", bmc.https_url + "/redfish/v1/NoSuchThing")
    replies["outside redfish"] = fetch("GET", bmc.https_url + "/index.html")
    bodies = set()
    for name, reply in replies.items():
        assert reply.status == 401, name
        assert reply.headers["WWW-Authenticate"].startswith("Basic realm="), name
        assert reply.json()["error"]["code"].endswith("NoValidSession")
        bodies.add(reply.body)
    assert len(bodies) == 1, "every 401 must be byte-identical"


def test_not_found_and_trailing_slash(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    auth = basic(fleet.auditor_user, fleet.auditor_password)
    missing = fetch("GET", bmc.https_url + "/redfish/v1/Systems/nope", headers=auth)
    assert missing.status == 404
    assert missing.json()["error"]["@Message.ExtendedInfo"][0]["MessageId"].endswith("ResourceNotFound")
    assert fetch("GET", bmc.https_url + "/redfish/v1/Systems/system/", headers=auth).json()["Id"] == "system"
    assert fetch("PATCH", bmc.https_url + "/redfish/v1/Systems/system", headers=auth).status == 405


async def _crawl(fleet: Fleet, bmc: MockBMC) -> dict[str, Any]:
    """Follow every ``@odata.id`` reachable from the service root; return path -> document."""
    docs: dict[str, Any] = {}
    todo = ["/redfish/v1"]
    auth = basic(fleet.auditor_user, fleet.auditor_password)
    async with aiohttp.ClientSession() as session:
        while todo:
            path = todo.pop()
            if path in docs:
                continue
            reply = await afetch(session, "GET", bmc.https_url + path, headers=auth)
            assert reply.status == 200, (path, reply.status)
            doc = reply.json()
            assert doc["@odata.id"] == path
            assert doc["@odata.type"].startswith("#")
            docs[path] = doc
            stack: list[Any] = [doc]
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    link = item.get("@odata.id")
                    if isinstance(link, str) and link not in docs:
                        todo.append(link)
                    stack.extend(item.values())
                elif isinstance(item, list):
                    stack.extend(item)
            for value in doc.values():
                if isinstance(value, str) and value.startswith("/redfish/v1/") and value not in docs:
                    todo.append(value)  # e.g. TargetComponentURI
    return docs


@pytest.mark.parametrize("profile", ["hardened", "factory-default", "hgx-h100"])
def test_tree_is_complete_and_links_resolve(fleet: Fleet, profile: str) -> None:
    bmc = pick(fleet, profile)
    docs = asyncio.run(_crawl(fleet, bmc))
    p = bmc.profile
    manager = f"/redfish/v1/Managers/{p.manager.Id}"
    system = f"/redfish/v1/Systems/{p.system.Id}"
    for path in [
        "/redfish/v1/AccountService",
        "/redfish/v1/AccountService/Accounts",
        "/redfish/v1/SessionService",
        manager,
        f"{manager}/NetworkProtocol",
        f"{manager}/NetworkProtocol/HTTPS/Certificates/1",
        system,
        f"{system}/SecureBoot",
        f"/redfish/v1/Chassis/{p.primary_chassis_id}",
        "/redfish/v1/UpdateService/FirmwareInventory",
        "/redfish/v1/CertificateService/CertificateLocations",
    ]:
        assert path in docs, path
    for doc in docs.values():
        if "Members" in doc:
            assert doc["Members@odata.count"] == len(doc["Members"])
        else:
            assert "Id" in doc and "Name" in doc
    assert docs[manager]["UUID"] == bmc.uuid
    assert docs[system]["SerialNumber"] == bmc.serial
    assert docs[system]["UUID"] == bmc.identity.system_uuid
    accounts = [d for k, d in docs.items() if k.startswith("/redfish/v1/AccountService/Accounts/")]
    assert {a["UserName"] for a in accounts} == {a.username for a in bmc.accounts.values()}
    assert all(a["Password"] is None and a["Locked"] is False for a in accounts)
    fw = {
        d["Id"]: d["Version"] for k, d in docs.items() if k.startswith("/redfish/v1/UpdateService/FirmwareInventory/")
    }
    assert fw == {k: v.Version for k, v in p.firmware_inventory.items()}
    if p.component_integrity:
        ci = docs["/redfish/v1/ComponentIntegrity/HGX_ERoT_BMC_0"]
        assert ci["ComponentIntegrityType"] == "SPDM" and ci["ComponentIntegrityEnabled"] is True
    else:
        assert "ComponentIntegrity" not in docs["/redfish/v1"]


def test_hgx_identifiers(fleet: Fleet) -> None:
    bmc = pick(fleet, "hgx-h100")
    assert _get(fleet, bmc, "/redfish/v1/Managers")["Members"] == [{"@odata.id": "/redfish/v1/Managers/HGX_BMC_0"}]
    system = _get(fleet, bmc, "/redfish/v1/Systems/HGX_Baseboard_0")
    assert system["Manufacturer"] == "NVIDIA"
    gpu = _get(fleet, bmc, "/redfish/v1/UpdateService/FirmwareInventory/HGX_FW_GPU_SXM_8")
    assert (gpu["Version"], gpu["Manufacturer"], gpu["Updateable"]) == ("96.00.BC.00.01", "NVIDIA", True)
    assert gpu["Status"] == {"State": "Enabled", "Health": "OK"}


def test_network_protocol_reflects_profile_and_live_ports(fleet: Fleet) -> None:
    hardened = pick(fleet, "hardened")
    np = _get(fleet, hardened, "/redfish/v1/Managers/bmc/NetworkProtocol")
    assert np["HTTP"]["ProtocolEnabled"] is False and np["IPMI"]["ProtocolEnabled"] is False
    assert np["HTTPS"] == {
        "ProtocolEnabled": True,
        "Port": hardened.ports["https"],
        "Certificates": {"@odata.id": "/redfish/v1/Managers/bmc/NetworkProtocol/HTTPS/Certificates"},
    }
    assert (np["SNMP"]["EnableSNMPv1"], np["SNMP"]["EnableSNMPv2c"], np["SNMP"]["EnableSNMPv3"]) == (False, False, True)
    factory = pick(fleet, "factory-default")
    np = _get(fleet, factory, "/redfish/v1/Managers/1/NetworkProtocol")
    for prop in ("HTTP", "IPMI", "Telnet", "SSDP", "KVMIP", "VirtualMedia"):
        assert np[prop]["ProtocolEnabled"] is True, prop
    assert np["HTTP"]["Port"] == factory.ports["http"]
    assert np["SNMP"]["EnableSNMPv1"] is True
    assert np["SNMP"]["HideCommunityStrings"] is True
    assert np["SNMP"]["CommunityStrings"] == [{"Name": "public", "AccessMode": "Limited", "CommunityString": None}]
    boot = _get(fleet, factory, "/redfish/v1/Systems/1/SecureBoot")
    assert boot["SecureBootEnable"] is False and boot["SecureBootCurrentBoot"] == "Disabled"


def test_certificate_resource_describes_the_served_certificate(fleet: Fleet) -> None:
    for bmc in (pick(fleet, "hardened"), pick(fleet, "factory-default")):
        pem = ssl.get_server_certificate(("127.0.0.1", bmc.ports["https"]), timeout=5)
        served = x509.load_pem_x509_certificate(pem.encode())
        manager = bmc.profile.manager.Id
        doc = _get(fleet, bmc, f"/redfish/v1/Managers/{manager}/NetworkProtocol/HTTPS/Certificates/1")
        expected = ":".join(f"{b:02X}" for b in served.fingerprint(hashes.SHA256()))
        assert doc["Fingerprint"] == expected
        assert doc["Subject"]["CommonName"] == bmc.name
        assert doc["ValidNotAfter"] == served.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert doc["KeyUsage"] and doc["SignatureAlgorithm"]


def test_plain_http_redirects_on_hardened_and_serves_on_factory_default(fleet: Fleet) -> None:
    hardened = pick(fleet, "hardened")
    reply = fetch("GET", f"{hardened.http_url}/redfish/v1/Systems?x=1")
    assert reply.status == 301
    assert reply.headers["Location"] == f"{hardened.https_url}/redfish/v1/Systems?x=1"
    assert reply.body == b""
    factory = pick(fleet, "factory-default")
    auth = basic(fleet.auditor_user, fleet.auditor_password)
    assert fetch("GET", f"{factory.http_url}/redfish/v1").json()["Vendor"] == "Supermicro"
    assert fetch("GET", f"{factory.http_url}/redfish/v1/Systems", headers=auth).status == 200
    assert fetch("GET", f"{factory.http_url}/redfish/v1/Systems").status == 401


def test_session_login_list_logout(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened", 1)
    base = bmc.https_url
    login = fetch(
        "POST",
        f"{base}/redfish/v1/SessionService/Sessions",
        json_body={"UserName": fleet.auditor_user, "Password": fleet.auditor_password},
    )
    assert login.status == 201
    token, location = login.headers["X-Auth-Token"], login.headers["Location"]
    body = login.json()
    assert body["UserName"] == fleet.auditor_user
    assert body["@odata.id"] == location
    assert fleet.auditor_password not in login.body.decode()
    assert "Password" not in body or body["Password"] is None

    listed = fetch("GET", f"{base}/redfish/v1/SessionService/Sessions", headers={"X-Auth-Token": token}).json()
    assert {"@odata.id": location} in listed["Members"]
    assert fetch("GET", base + location, headers={"X-Auth-Token": token}).json()["Id"] == body["Id"]

    assert fetch("DELETE", base + location, headers={"X-Auth-Token": token}).status == 204
    assert fetch("GET", f"{base}/redfish/v1/Systems", headers={"X-Auth-Token": token}).status == 401
    assert body["Id"] not in bmc.auth.sessions

    bad = fetch(
        "POST",
        f"{base}/redfish/v1/SessionService/Sessions",
        json_body={"UserName": fleet.auditor_user, "Password": "nope"},
    )
    assert bad.status == 401 and "X-Auth-Token" not in bad.headers
    assert fetch("POST", f"{base}/redfish/v1/SessionService/Sessions", json_body={"UserName": "x"}).status == 400


def test_session_limit_answers_503(fleet: Fleet) -> None:
    bmc = pick(fleet, "few-sessions")
    creds = {"UserName": fleet.auditor_user, "Password": fleet.auditor_password}
    url = f"{bmc.https_url}/redfish/v1/SessionService/Sessions"
    made = [fetch("POST", url, json_body=creds) for _ in range(3)]
    assert [r.status for r in made] == [201, 201, 503]
    for reply in made[:2]:
        token = reply.headers["X-Auth-Token"]
        assert fetch("DELETE", bmc.https_url + reply.headers["Location"], headers={"X-Auth-Token": token}).status == 204
    assert fetch("POST", url, json_body=creds).status == 201


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_dmtf_redfish_client(fleet: Fleet) -> None:
    bmc = pick(fleet, "hgx-h100")
    client = redfish.redfish_client(
        base_url=bmc.https_url, username=fleet.auditor_user, password=fleet.auditor_password, timeout=10
    )
    client.login(auth="session")
    try:
        assert len(bmc.auth.sessions) >= 1
        systems = client.get("/redfish/v1/Systems")
        assert systems.status == 200
        assert systems.dict["Members"] == [{"@odata.id": "/redfish/v1/Systems/HGX_Baseboard_0"}]
        fw = client.get("/redfish/v1/UpdateService/FirmwareInventory")
        assert fw.dict["Members@odata.count"] == 41
    finally:
        client.logout()
    assert not any(s.account.username == fleet.auditor_user for s in bmc.auth.sessions.values())
