#!/bin/bash
# The test vectors of docs/protocol.md, computed again from the text alone
# by an independent implementation (tools/wire_vector.py: Python hashlib
# and the cryptography package, no libsodium, no Ferry code); every value
# must appear in the document. The C side is checked against the same
# values by test_handshake, test_channel and test_envelope.
cd "$(dirname "$0")/../.." || exit 1

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import cryptography' 2>/dev/null; then
	echo "skip: python3-cryptography is not installed"
	exit 77
fi
out=$("$PYTHON" tools/wire_vector.py) || { echo "FAIL: wire_vector.py failed"; exit 1; }
doc=$(tr -d ' \t\n' < docs/protocol.md)
n=0
while read -r name && read -r value; do
	if [[ "$doc" != *"$value"* ]]; then
		echo "FAIL: $name: $value is not in docs/protocol.md"
		exit 1
	fi
	n=$((n + 1))
done <<< "$out"
[ "$n" -eq 11 ] || { echo "FAIL: $n values, expected 11"; exit 1; }
echo "ok: $n values of docs/protocol.md recomputed independently"
