#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The test vector of docs/migration.md (section 10), computed from the text
of docs/migration.md and docs/protocol.md alone: Python's hashlib and the
cryptography package, no libsodium, no Ferry code. Prints name and hex value
on alternate lines; selftests/unit/test_mig_vector.sh checks that each value
is in the document."""
import hashlib
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b2(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def mp_uint(v):
    """Shortest msgpack encoding of a non-negative integer."""
    if v < 0x80:
        return bytes([v])
    if v < 0x100:
        return b"\xcc" + bytes([v])
    if v < 0x10000:
        return b"\xcd" + struct.pack(">H", v)
    if v < 0x100000000:
        return b"\xce" + struct.pack(">I", v)
    return b"\xcf" + struct.pack(">Q", v)


def mp_bin(b):
    assert len(b) < 256
    return b"\xc4" + bytes([len(b)]) + b


def mp_map(values):
    """A map with keys 0..n-1, values already encoded."""
    return bytes([0x80 | len(values)]) + b"".join(
        mp_uint(i) + v for i, v in enumerate(values))


def envelope(key, typ, origin, mig64, seq, ts_ms, body):
    tbs = (b"ferry/v1 envelope\x00" + struct.pack(">IIQQQ", typ, origin, mig64, seq, ts_ms)
           + b2(body))
    sig = key.sign(tbs)
    return mp_map([mp_uint(typ), mp_uint(origin), mp_uint(mig64), mp_uint(seq),
                   mp_uint(ts_ms), mp_bin(body), mp_bin(sig)])


def main():
    som = Ed25519PrivateKey.from_private_bytes(bytes(range(0x00, 0x20)))
    src = Ed25519PrivateKey.from_private_bytes(bytes(range(0x20, 0x40)))
    src_pk = src.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    mig = bytes(range(0x10, 0x20))
    mig64 = struct.unpack(">Q", mig[:8])[0]
    addrs = (bytes([2]) + bytes([198, 18, 1, 1]) + bytes(12)
             + bytes([10]) + bytes.fromhex("20010db8000100000000000000000001"))
    order = mp_map([mp_bin(mig), mp_uint(7), mp_bin(addrs),
                    mp_bin(bytes.fromhex("02005e000001")), mp_uint(7), mp_bin(src_pk),
                    mp_uint(8), mp_uint(1767225600), mp_uint(1767225630),
                    mp_uint(100000), mp_uint(67108864)])
    chunk = mp_map([mp_bin(mig), mp_bin(b"bundle")])
    digest = b2(b"ferry/v1 migration chunks\x00" + b"bundle")
    commit = mp_map([mp_bin(mig), mp_uint(1), mp_uint(6), mp_uint(0), mp_bin(digest)])
    out = [
        ("order", envelope(som, 64, 0, mig64, 0, 1767225600000, order)),
        ("chunk 0", envelope(src, 65, 7, mig64, 0, 1767225601000, chunk)),
        ("hash", digest),
        ("commit", envelope(src, 66, 7, mig64, 1, 1767225601000, commit)),
    ]
    for name, value in out:
        print(name)
        print(value.hex())


if __name__ == "__main__":
    main()
