#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# ferry-som's configuration is checked strictly: --check accepts a good
# file, and each mistake is refused with FILE:LINE and what is wrong.
set -u
cd "$(dirname "$0")/../.."
SOM=$PWD/${BUILD:-build}/bin/ferry-som
FERRYCTL=$PWD/${BUILD:-build}/bin/ferryctl
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$FERRYCTL" keygen --out "$tmp/som.key" >/dev/null || fail keygen
"$FERRYCTL" keygen --out "$tmp/a.key" >/dev/null || fail keygen
echo "$(cat "$tmp/a.key.pub") soa 7 any" > "$tmp/keys"
good() {
	cat <<-CONF
	# the SOM
	[som]
	identity_key = $tmp/som.key
	authorized_keys = $tmp/keys
	listen = 198.18.50.1:7400
	listen = [2001:db8:50::1]:7400
	journal = $tmp/journal
	heartbeat_interval_ms = 1000
	lost_timeout_ms = 3000
	[limits]
	max_connections = 64
	CONF
}
good > "$tmp/good.conf"
out=$("$SOM" --check --config "$tmp/good.conf" 2>&1) || fail "a good file is refused: $out"
echo "ok: a good file passes --check"

# refused SED_EXPR WANT: the good file edited must be refused with WANT
refused() {
	good | sed "$1" > "$tmp/bad.conf"
	out=$("$SOM" --check --config "$tmp/bad.conf" 2>&1) && fail "accepted: $1"
	echo "$out" | grep -q -- "$2" || fail "for '$1': got '$out', want '$2'"
	echo "ok: $2"
}
refused 's/^max_connections = 64/max_connection = 64/' "bad.conf:11: \[limits\] unknown key 'max_connection' (did you mean 'max_connections'?)"
refused 's/^journal = .*/&\njournal = \/x/' "bad.conf:8: \[som\] duplicate key 'journal' (first at line 7)"
refused 's/^listen = 198.18.50.1:7400/listen = 198.18.50.1/' "bad.conf:5: \[som\] listen: '198.18.50.1' is not ADDR:PORT"
refused 's/^listen = \[2001:db8:50::1\]:7400/listen = 2001:db8:50::1:7400/' "bad.conf:6: \[som\] listen: '2001:db8:50::1:7400' is not ADDR:PORT"
refused 's/^listen = 198.18.50.1:7400/listen = 198.18.50.1:0/' "bad.conf:5: .*bad port '0'"
refused 's/^lost_timeout_ms = 3000/lost_timeout_ms = 1000/' "lost_timeout_ms (1000) must exceed heartbeat_interval_ms (1000)"
refused 's/^max_connections = 64/max_connections = 0/' "bad.conf:11: \[limits\] max_connections: 0 is out of range (1..65536)"
refused 's/^max_connections = 64/max_connections = lots/' "'lots' is not a number"
refused '/^journal/d' "bad.conf:2: \[som\] missing key 'journal'"
refused 's/^identity_key = .*/identity_key = som.key/' "identity_key: 'som.key' is not an absolute path"
refused 's/^\[limits\]/[limit]/' "bad.conf:10: unknown section \[limit\] (known: som, limits, migration)"
refused 's/^\[limits\]/[som]/' "bad.conf:10: duplicate section \[som\] (first at line 2)"
refused 's/^\[limits\]/[migration]\n[migration]/' "bad.conf:11: duplicate section \[migration\] (first at line 10)"
refused 's/^\[limits\]/[limits x]/' "bad.conf:10: section \[limits\] takes no name, not 'x'"
refused 's/^journal = .*/journal =/' "bad.conf:7: \[som\] journal: empty value"
refused 's/^heartbeat_interval_ms.*/heartbeat_interval_ms/' "bad.conf:8: expected"
chmod 0644 "$tmp/som.key"
out=$("$SOM" --check --config "$tmp/good.conf" 2>&1) && fail "a 0644 identity key is accepted"
echo "ok: an identity key readable by others is refused ($out)"

# The documented example parses (with its paths pointed at test files).
sed -e "s|/etc/ferry/som.key|$tmp/ex.key|; s|/etc/ferry/authorized_keys|$tmp/keys|" \
	docs/examples/ferry-som.conf > "$tmp/example.conf"
"$FERRYCTL" keygen --out "$tmp/ex.key" >/dev/null
out=$("$SOM" --check --config "$tmp/example.conf" 2>&1) || fail "docs/examples/ferry-som.conf: $out"
echo "ok: docs/examples/ferry-som.conf is valid"
