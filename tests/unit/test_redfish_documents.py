"""Redfish document handling behind ``$expand``: which query a service root earns, and how an
expanded document is turned back into what a plain GET returns (so facts do not depend on it)."""

from __future__ import annotations

from typing import Any

import pytest

from oobaudit.collectors.redfish import _collapse, expand_query


def _root(**expand: Any) -> dict[str, Any]:
    return {"ProtocolFeaturesSupported": {"ExpandQuery": expand}}


@pytest.mark.parametrize(("features", "levels", "query"), [
    ({"NoLinks": True, "Levels": True, "MaxLevels": 3}, 1, "$expand=.($levels=1)"),
    ({"NoLinks": True, "Levels": True, "MaxLevels": 3}, 2, "$expand=.($levels=2)"),
    ({"NoLinks": True, "Levels": True, "MaxLevels": 1}, 2, None),  # would be refused as out of range
    ({"NoLinks": True, "Levels": True}, 2, None),  # no MaxLevels: do not guess
    ({"NoLinks": True, "Levels": True, "MaxLevels": True}, 2, None),  # a boolean is not a level count
    ({"NoLinks": True, "Levels": False, "MaxLevels": 6}, 2, None),
    ({"NoLinks": True}, 1, "$expand=."),
    ({"ExpandAll": True, "Levels": True, "MaxLevels": 6}, 2, "$expand=*($levels=2)"),
    ({"Links": True, "Levels": True, "MaxLevels": 6}, 2, None),  # ~ never inlines Members
])
def test_expand_query(features: dict[str, Any], levels: int, query: str | None) -> None:
    assert expand_query(_root(**features), levels) == query


def test_no_expand_advertised() -> None:
    assert expand_query({}, 2) is None and expand_query({"ProtocolFeaturesSupported": []}) is None


def test_collapse_restores_the_plain_document() -> None:
    plain = {
        "@odata.id": "/redfish/v1/AccountService", "Id": "AccountService", "AccountLockoutThreshold": 5,
        "Accounts": {"@odata.id": "/redfish/v1/AccountService/Accounts"},
        "LDAP": {"ServiceEnabled": False,
                 "Certificates": {"@odata.id": "/redfish/v1/AccountService/LDAP/Certificates"}},
        "Links": {"Roles": [{"@odata.id": "/redfish/v1/AccountService/Roles/Admin"}]},
        "Oem": {"Vendor": {"Fans": [{"@odata.id": "/redfish/v1/Chassis/1/Thermal#/Fans/0", "Name": "Fan 0",
                                     "Reading": 3000}]}},
    }
    expanded = {
        **plain,
        "Accounts": {"@odata.id": "/redfish/v1/AccountService/Accounts", "@odata.type": "#Coll", "Members": [
            {"@odata.id": "/redfish/v1/AccountService/Accounts/1", "Id": "1", "UserName": "admin"}]},
        "LDAP": {"ServiceEnabled": False, "Certificates": {
            "@odata.id": "/redfish/v1/AccountService/LDAP/Certificates", "Members": []}},
        "Links": {"Roles": [{"@odata.id": "/redfish/v1/AccountService/Roles/Admin", "Id": "Admin"}]},  # ExpandAll
    }
    assert _collapse(expanded) == plain
    assert _collapse(plain) == plain  # nothing inline: unchanged (fragment-addressed objects stay)


def test_collapse_keeps_what_is_not_an_inlined_resource() -> None:
    doc = {"Status": {"State": "Enabled"}, "Weird": {"@odata.id": 7, "Id": "x"},
           "External": {"@odata.id": "https://elsewhere/x", "Id": "x"}, "List": [1, "a", None]}
    assert _collapse(doc) == doc
