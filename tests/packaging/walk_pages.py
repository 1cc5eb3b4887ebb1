"""Run by the wheel test with the Python of a fresh virtual environment where only the built wheel is
installed, from a folder outside the checkout: builds both apps on instance folders made by the installed
``skm`` command and requests every GET route of both URL maps (every static file too), signed in where a
page needs it. Prints one JSON object: what was served, and every problem.

Stand-alone on purpose: importing anything from the checkout would hide a file missing from the wheel.
"""
from __future__ import annotations

import json
import re
import sys
import time
import uuid
from pathlib import Path

import collector
import kiosk
import skmweb
from sqlalchemy import select

kiosk_instance, collector_instance = Path(sys.argv[1]), Path(sys.argv[2])
problems: list[str] = []
served: dict[str, int] = {}


def check_install_location() -> None:
    for module in (kiosk, collector, skmweb):
        if "site-packages" not in module.__file__:
            problems.append(f"{module.__name__} imported from {module.__file__}, not from the installed wheel")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', html)
    return (found.group(1) or found.group(2)) if found else ""


def fill(rule, values: dict[str, object]) -> list[dict]:
    """Every set of values to request this rule with (one per static file for the static route)."""
    if rule.endpoint == "static":
        folder = Path(skmweb.__file__).parent / "static"
        return [{"filename": p.name} for p in sorted(folder.iterdir()) if p.is_file()]
    missing = [a for a in rule.arguments if a not in values]
    if missing:
        problems.append(f"{rule.rule}: no value to fill in for {missing}")
        return []
    return [{a: values[a] for a in rule.arguments}]


def walk(app, client, values: dict[str, object], name: str) -> None:
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for args in fill(rule, values):
            path = adapter.build(rule.endpoint, args)
            response = client.get(path)
            served[f"{name} {path}"] = response.status_code
            body = response.get_data()
            if response.status_code >= 500:
                problems.append(f"{name} GET {path}: {response.status_code}")
            if response.mimetype == "text/html" and response.status_code == 200 and b"<html" not in body:
                problems.append(f"{name} GET {path}: HTML without a page")


def kiosk_pages() -> None:
    app = kiosk.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, instance_path=kiosk_instance)
    client = app.test_client()
    answer = client.post("/staff/login", data={"pin": "4321"})
    if answer.status_code not in (302, 303):
        problems.append(f"kiosk staff sign-in: {answer.status_code}")
    walk(app, client, {"code": "1", "lang": "en", "shift_id": 1}, "kiosk")


def collector_pages() -> None:
    app = collector.create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, instance_path=collector_instance)
    engine = app.extensions["skm_engine"]
    from collector import schema, store
    from skm import wire
    units = store.all_units(engine)
    unit = units[0]["code"]
    officers = store.unit_officers(engine, unit)
    with engine.connect() as conn:
        kiosk_row = conn.execute(select(schema.kiosks).where((schema.kiosks.c.unit == unit)
                                                            & schema.kiosks.c.secret.is_not(None))).first()
    counter = store.unit_counters(engine, unit)[0]
    token = wire.make_receipt_token(kiosk_row.secret, wire.Receipt(
        kiosk_row.id, counter["code"], counter["services"][0]["code"], int(time.time()), uuid.uuid4().hex[:16]))
    values = {"unit": unit, "nip": officers[0]["nip"] if officers else "-", "token": token, "followup_id": 1,
              "lang": "en", "code": unit}
    anonymous = app.test_client()
    walk(app, anonymous, values, "collector (signed out)")
    client = app.test_client()
    answer = client.post("/login", data={"username": "admin", "password": sys.argv[3]})
    if answer.status_code not in (302, 303):
        problems.append(f"collector sign-in: {answer.status_code}")
    walk(app, client, values, "collector (admin)")


check_install_location()
kiosk_pages()
collector_pages()
print(json.dumps({"served": served, "problems": problems}))
