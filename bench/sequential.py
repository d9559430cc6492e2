"""The baseline to beat: DMTF's synchronous ``redfish`` client, one BMC after another.

Same Redfish coverage as oobaudit's crawl (the service root, a session login, every
resource of the crawl plan by following ``@odata.id`` links, logout), no concurrency.
``bench/sweep.py`` runs this on a sample of the same fleet in the same run and reports the
ratio.  Standalone:  python bench/sequential.py INVENTORY.yaml [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import redfish

from oobaudit.collectors.redfish import PLAN, Step, _link
from oobaudit.inventory import Target, load_inventory


def crawl_one(target: Target, timeout: float = 30.0) -> int:
    """Audit-equivalent Redfish reads of one BMC; returns the number of GETs."""
    assert target.credentials is not None
    client = redfish.redfish_client(base_url=target.url("https"), username=target.credentials.username,
                                    password=target.credentials.password.resolve().reveal(), timeout=timeout,
                                    max_retry=1)
    client.login(auth="session")
    gets = 0
    try:
        root = client.get("/redfish/v1/").dict
        gets += 1

        def walk(doc: dict[str, Any], steps: tuple[Step, ...]) -> None:
            nonlocal gets
            for step in steps:
                url = _link(doc, step.link)
                if not url:
                    continue
                res = client.get(url)
                gets += 1
                body = res.dict if res.status == 200 else {}
                if step.collection:
                    for m in body.get("Members", []):
                        member = client.get(m["@odata.id"])
                        gets += 1
                        if member.status == 200:
                            walk(member.dict, step.children)
                else:
                    walk(body, step.children)

        walk(root, PLAN)
    finally:
        client.logout()
    return gets


def run(inventory_path: str, limit: int | None = None) -> dict[str, Any]:
    targets = load_inventory(inventory_path).targets[: limit or None]
    t0 = time.perf_counter()
    gets = sum(crawl_one(t) for t in targets)
    wall = time.perf_counter() - t0
    return {"bmcs": len(targets), "wall_s": round(wall, 3), "gets": gets,
            "s_per_bmc": round(wall / max(1, len(targets)), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inventory")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    print(json.dumps(run(args.inventory, args.limit)))


if __name__ == "__main__":
    main()
