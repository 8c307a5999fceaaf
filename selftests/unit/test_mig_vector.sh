#!/bin/bash
# The test vector of docs/migration.md, computed again from the text alone
# by an independent implementation (tools/mig_vector.py: Python hashlib and
# the cryptography package, no libsodium, no Ferry code); every value must
# appear in the document. The C side is checked against the same values by
# test_migorder (test_known_answer).
cd "$(dirname "$0")/../.." || exit 1

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import cryptography' 2>/dev/null; then
	echo "skip: python3-cryptography is not installed"
	exit 77
fi
out=$("$PYTHON" tools/mig_vector.py) || { echo "FAIL: mig_vector.py failed"; exit 1; }
doc=$(tr -d ' \t\n' < docs/migration.md)
n=0
while read -r name && read -r value; do
	if [[ "$doc" != *"$value"* ]]; then
		echo "FAIL: $name: $value is not in docs/migration.md"
		exit 1
	fi
	n=$((n + 1))
done <<< "$out"
[ "$n" -eq 4 ] || { echo "FAIL: $n values, expected 4"; exit 1; }
echo "ok: $n values of docs/migration.md recomputed independently"
