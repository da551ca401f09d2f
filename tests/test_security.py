from argon2 import extract_parameters

from hazard_ledger.config import load_settings
from hazard_ledger.security import Passwords, new_receipt, receipt_hash


def test_production_password_hashing_meets_owasp():
    hashing = load_settings(environ={})["passwords"]
    passwords = Passwords(hashing["argon2_time_cost"], hashing["argon2_memory_kib"], hashing["argon2_parallelism"])
    stored = passwords.hash("correct-horse-9")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    # OWASP: Argon2id with at least 19 MiB of memory and 2 iterations
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert passwords.verify(stored, "correct-horse-9")
    assert not passwords.verify(stored, "wrong")
    assert not passwords.verify("not a hash", "wrong")


def test_receipts_are_random_and_forgiving():
    receipt = new_receipt()
    assert len(receipt) == 24 and receipt.count("-") == 4
    assert receipt != new_receipt()
    assert receipt_hash(receipt) == receipt_hash(receipt.lower().replace("-", " "))
