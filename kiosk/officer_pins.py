"""Officers' check-in PINs, verified on the kiosk (offline) without keeping a hash that the kiosk's database
alone lets anyone test PINs against (docs/security.md, "Officer PINs").

The collector sends each officer's salted scrypt hash of the PIN (over the signed sync). The kiosk keeps only
a *sealed* verifier: the hash's method and salt, and HMAC-SHA256 under a key of this kiosk (``officer_pin_key``,
a file beside the database, never in it nor in its backups) of the scrypt output. Checking a PIN costs one
scrypt and one HMAC; testing a guess against a copy of the database needs the key file too.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import sqlite_utils

from . import store

KEY_FILE = "officer_pin_key"
SEALED = "sealed1"
log = logging.getLogger(__name__)


def key_for(db: sqlite_utils.Database) -> bytes:
    """This kiosk's sealing key, in a file beside the database file; made (owner-only) on first use."""
    folder = Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).parent
    path = folder / KEY_FILE
    try:
        with open(path, "x", encoding="ascii") as f:
            os.chmod(path, 0o600)
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def _digest(method: str, salt: str, pin: str) -> str | None:
    """The hex output of werkzeug's hash method for the PIN, or None for a method not known here."""
    name, *args = method.split(":")
    if name == "scrypt" and len(args) == 3:
        n, r, p = map(int, args)
        return hashlib.scrypt(pin.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    if name == "pbkdf2" and len(args) == 2:
        return hashlib.pbkdf2_hmac(args[0], pin.encode(), salt.encode(), int(args[1])).hex()
    return None


def _mac(key: bytes, digest: str) -> str:
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def seal(pin_hash: object, key: bytes) -> str | None:
    """The verifier kept for a collector's PIN hash (``method$salt$hex``); None if it is not one."""
    parts = pin_hash.split("$") if isinstance(pin_hash, str) else []
    if len(parts) != 3 or _digest(parts[0], parts[1], "") is None:
        return None
    method, salt, digest = parts
    return f"{SEALED}${method}${salt}${_mac(key, digest)}"


def verify(verifier: str | None, pin: str, key: bytes) -> bool:
    parts = (verifier or "").split("$")
    if len(parts) != 4 or parts[0] != SEALED:
        return False
    _sealed, method, salt, mac = parts
    digest = _digest(method, salt, pin)
    return digest is not None and hmac.compare_digest(_mac(key, digest), mac)


def sealed_officers(officers: list[dict], key: bytes) -> list[dict]:
    """The collector's officer list as the kiosk keeps it: name, NIP and sealed verifier, no hash."""
    kept = []
    for o in officers:
        verifier = seal(o.get("pin_hash"), key)
        if verifier is None:
            log.warning("officer %s: the collector sent no usable PIN hash; they cannot check in here", o["nip"])
        kept.append({"nip": o["nip"], "name": o["name"], "pin_verifier": verifier})
    return kept


def seal_kept_hashes(db: sqlite_utils.Database) -> int:
    """Seal the PIN hashes an older kiosk kept in its database (at start, after the migrations); returns how
    many. Needs the key file, so it is app code, not a migration step."""
    raw = store.officers_with_pin_hash(db)
    if raw:
        key = key_for(db)
        store.replace_pin_hashes(db, {nip: seal(pin_hash, key) for nip, pin_hash in raw})
        log.info("sealed the check-in PIN hashes of %d officers", len(raw))
    return len(raw)
