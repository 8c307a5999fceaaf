#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""
An independent computation of the handshake test vector of
docs/protocol.md, from the specification alone (Python's hashlib and the
`cryptography` package, not libsodium or Ferry's C code). Prints the
vector; selftests/unit/test_handshake.c and test_channel.c hold the
same values.
"""
import hashlib
import struct
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives import serialization

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def u(v):
    if v <= 0x7f:
        return bytes([v])
    for t, fmt in ((0xcc, '>B'), (0xcd, '>H'), (0xce, '>I'), (0xcf, '>Q')):
        if v < 1 << (8 * struct.calcsize(fmt)):
            return bytes([t]) + struct.pack(fmt, v)


def b(data):
    return bytes([0xc4, len(data)]) + data


def m(fields):
    out = bytes([0x80 | len(fields)])
    for k, v in enumerate(fields):
        out += u(k) + (b(v) if isinstance(v, bytes) else u(v))
    return out


def ident(base):
    sk = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(base, base + 32)))
    return sk, sk.public_key().public_bytes(*RAW)


def eph(fill):
    sk = x25519.X25519PrivateKey.from_private_bytes(bytes([fill]) * 32)
    return sk, sk.public_key().public_bytes(*RAW)


def frame(body):
    return struct.pack('>I', len(body)) + body


T = 1767225600000
som_sk, som_pk = ident(0x00)
soa_sk, soa_pk = ident(0x20)
ei_sk, ei_pk = eph(0x41)
er_sk, er_pk = eph(0x43)
hello_i = m([1, 1, 1, 1, 7, soa_pk, ei_pk, T, b'\x42' * 32])
hello_r = m([1, 1, 1, 3, 0, som_pk, er_pk, T, b'\x44' * 32])

th = hashlib.blake2b(digest_size=32)
th.update(b'ferry/v1 transcript\0')


def now():
    return th.copy().digest()


th.update(frame(hello_i))
th.update(frame(hello_r))
sig_r = som_sk.sign(b'ferry/v1 handshake responder\0' + now())
auth_r = m([2, sig_r])
th.update(frame(auth_r))
sig_i = soa_sk.sign(b'ferry/v1 handshake initiator\0' + now())
auth_i = m([2, sig_i])
th.update(frame(auth_i))
final = now()
result = m([3, 0, som_sk.sign(b'ferry/v1 handshake result\0' + final + b'\0')])
shared = ei_sk.exchange(x25519.X25519PublicKey.from_public_bytes(er_pk))
master = hashlib.blake2b(b'ferry/v1 session\0' + final, digest_size=32, key=shared).digest()
k_i2r = hashlib.blake2b(b'ferry/v1 initiator to responder\0', digest_size=32, key=master).digest()
k_r2i = hashlib.blake2b(b'ferry/v1 responder to initiator\0', digest_size=32, key=master).digest()

for name, v in (('HELLO (initiator)', hello_i), ('HELLO (responder)', hello_r),
                ('AUTH (responder) signature', sig_r), ('AUTH (initiator) signature', sig_i),
                ('RESULT', result), ('transcript hash', final),
                ('initiator to responder key', k_i2r), ('responder to initiator key', k_r2i)):
    print(name)
    print(v.hex())

# The channel: the initiator's first two records under k_i2r.
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def record(key, seq, rtype, msg):
    body_len = 1 + len(msg) + 16
    hdr = struct.pack('>I', body_len)
    nonce = b'\0' * 4 + struct.pack('>Q', seq)
    return hdr + ChaCha20Poly1305(key).encrypt(nonce, bytes([rtype]) + msg,
                                               hdr + struct.pack('>Q', seq))


print('record 0')
print(record(k_i2r, 0, 32, b'ping').hex())
print('record 1')
print(record(k_i2r, 1, 16, b'\0').hex())

# A signed envelope: origin key seed 32 x 01, the fields below.
env_sk = ed25519.Ed25519PrivateKey.from_private_bytes(b'\x01' * 32)
body = b'flows...'
tbs = (b'ferry/v1 envelope\0' + struct.pack('>IIQQQ', 40, 7, 0x1122334455667788, 3, T)
       + hashlib.blake2b(body, digest_size=32).digest())
print('envelope')
print(m([40, 7, 0x1122334455667788, 3, T, body, env_sk.sign(tbs)]).hex())
