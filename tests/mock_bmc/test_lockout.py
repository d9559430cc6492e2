"""Login accounting and lockout, seen through the Python API and through Redfish."""

from __future__ import annotations

from mock_bmc.fleet import Fleet

from .helpers import basic, fetch, pick


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_lockout_after_threshold_refuses_the_right_password(fleet: Fleet) -> None:
    bmc = pick(fleet, "lockout-victim")
    clock = FakeClock(1_000_000.0)
    bmc.set_clock(clock)
    user, good = fleet.auditor_user, fleet.auditor_password
    url = f"{bmc.https_url}/redfish/v1/Systems"
    sessions = f"{bmc.https_url}/redfish/v1/SessionService/Sessions"
    account = bmc.accounts[user]
    threshold = bmc.profile.account_service.AccountLockoutThreshold
    assert threshold == 5

    assert fetch("GET", url, headers=basic(user, good)).status == 200
    for i in range(threshold - 1):
        # Failures through both Basic auth and session login count against the same account.
        if i % 2:
            assert fetch("GET", url, headers=basic(user, "wrong")).status == 401
        else:
            assert fetch("POST", sessions, json_body={"UserName": user, "Password": "wrong"}).status == 401
    assert account.failed_logins == threshold - 1 and not account.locked
    assert fetch("GET", url, headers=basic(user, "wrong")).status == 401
    assert account.failed_logins == threshold
    assert account.locked and account.lockouts == 1

    refused = fetch("GET", url, headers=basic(user, good))
    assert refused.status == 401
    assert fetch("POST", sessions, json_body={"UserName": user, "Password": good}).status == 401

    # Visible through Redfish to the administrator.
    admin = basic("admin", bmc.reveal_password("admin"))
    acc_doc = fetch("GET", f"{bmc.https_url}/redfish/v1/AccountService/Accounts/{account.id}", headers=admin).json()
    assert acc_doc["Locked"] is True
    policy = fetch("GET", f"{bmc.https_url}/redfish/v1/AccountService", headers=admin).json()
    assert (policy["AccountLockoutThreshold"], policy["AccountLockoutDuration"]) == (5, 300)

    stats = bmc.login_attempts[user]
    assert stats.attempts == 1 + threshold + 2
    assert stats.successes == 1
    assert stats.failures == threshold + 2

    # The lock expires after AccountLockoutDuration; then the right password works and resets the counter.
    clock.now += 301
    assert not account.locked
    assert fetch("GET", url, headers=basic(user, good)).status == 200
    assert account.failed_logins == 0
    assert (
        fetch("GET", f"{bmc.https_url}/redfish/v1/AccountService/Accounts/{account.id}", headers=admin).json()["Locked"]
        is False
    )


def test_unknown_user_failures_are_counted_separately_and_lock_nothing(fleet: Fleet) -> None:
    bmc = pick(fleet, "lockout-victim")
    url = f"{bmc.https_url}/redfish/v1/Systems"
    for _ in range(7):
        assert fetch("GET", url, headers=basic("root", "calvin")).status == 401
    assert bmc.unknown_user_failures["root"] == 7
    assert bmc.login_attempts["root"].failures == 7
    assert "root" not in bmc.accounts
    assert not any(a.locked for a in bmc.accounts.values())


def test_counter_resets_on_success(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened", 1)
    url = f"{bmc.https_url}/redfish/v1/Systems"
    admin_pw = bmc.reveal_password("admin")
    for _ in range(3):
        fetch("GET", url, headers=basic("admin", "wrong"))
    assert bmc.accounts["admin"].failed_logins == 3
    assert fetch("GET", url, headers=basic("admin", admin_pw)).status == 200
    assert bmc.accounts["admin"].failed_logins == 0


def test_factory_default_never_locks(fleet: Fleet) -> None:
    bmc = pick(fleet, "factory-default")
    url = f"{bmc.https_url}/redfish/v1/Systems"
    for _ in range(30):
        assert fetch("GET", url, headers=basic("ADMIN", "not-admin")).status == 401
    account = bmc.accounts["ADMIN"]
    assert account.failed_logins == 30 and not account.locked and account.lockouts == 0
    assert fetch("GET", url, headers=basic("ADMIN", "ADMIN")).status == 200
    assert fetch("GET", url, headers=basic("test", "test")).status == 200
    assert account.failed_logins == 0


def test_sessions_expire_after_session_timeout(fleet: Fleet) -> None:
    bmc = pick(fleet, "lockout-victim")
    clock = FakeClock(5_000_000.0)
    bmc.set_clock(clock)
    login = fetch(
        "POST",
        f"{bmc.https_url}/redfish/v1/SessionService/Sessions",
        json_body={"UserName": "admin", "Password": bmc.reveal_password("admin")},
    )
    assert login.status == 201
    token = {"X-Auth-Token": login.headers["X-Auth-Token"]}
    url = f"{bmc.https_url}/redfish/v1/SessionService"
    timeout = fetch("GET", url, headers=token).json()["SessionTimeout"]
    assert timeout == 600
    clock.now += timeout - 1  # activity restarts the idle timer
    assert fetch("GET", url, headers=token).status == 200
    clock.now += timeout - 1
    assert fetch("GET", url, headers=token).status == 200
    clock.now += timeout + 1
    assert fetch("GET", url, headers=token).status == 401
    assert login.json()["Id"] not in bmc.auth.sessions
