"""Passwords (Argon2id, OWASP strength) and secret tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


class Passwords:
    """Hashes with the configured Argon2id cost; verifies any Argon2 hash."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4):
        self.hasher = _hasher(time_cost, memory_kib, parallelism)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self) -> None:
        """Spend the time of one verification, so unknown usernames are not faster."""
        self.verify(_dummy_hash(self.hasher), "not-the-password")


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_hex(16))


def new_report_token() -> str:
    """The public key of an enterprise's report form: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def new_receipt() -> str:
    """A receipt a worker can copy from a phone: 20 base32 letters in groups of 4 (100 bits)."""
    letters = base64.b32encode(secrets.token_bytes(15)).decode().rstrip("=")[:20]
    return "-".join(letters[i : i + 4] for i in range(0, 20, 4))


def receipt_hash(receipt: str) -> str:
    """Receipts are stored only as this hash; dashes, spaces and case are forgiven."""
    normalised = "".join(ch for ch in receipt.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()
