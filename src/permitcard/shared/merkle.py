"""Merkle tree hashes as Certificate Transparency defines them (RFC 9162 §2.1.1).

    MTH({})      = SHA-256()
    MTH({d(0)})  = SHA-256(0x00 || d(0))
    MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n

The 0x00/0x01 prefixes keep a leaf from ever being taken for an inner node (second-preimage
attacks). Pure functions; the audit log seals batches of row MACs with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_root_of_hashes(hashes[:k]), _root_of_hashes(hashes[k:]))


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaf inputs, in order."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _root_of_hashes([leaf_hash(d) for d in leaves])

