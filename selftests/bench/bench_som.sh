#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Handshakes per second a running ferry-som completes over loopback: one
# client (wirepoke) opens, authenticates and cleanly closes sessions one
# after the other; each is a full TCP connection, both handshake sides,
# the authorization check and the SOM's log lines. Prints
# "bench: som_handshakes_per_s N hs/s" and the mean time per session.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${N:-2000}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
"$BUILD/bin/ferryctl" keygen --out "$tmp/som.key" >/dev/null
"$BUILD/bin/ferryctl" keygen --out "$tmp/a.key" >/dev/null
echo "$(cat "$tmp/a.key.pub") soa 7 127.0.0.1" > "$tmp/keys"
port=$((20000 + RANDOM % 20000))
cat > "$tmp/som.conf" <<CONF
[som]
identity_key = $tmp/som.key
authorized_keys = $tmp/keys
listen = 127.0.0.1:$port
journal = $tmp/journal
control_socket = $tmp/som.sock
[limits]
handshakes_per_second = 1000000
max_pending_per_source = 64
CONF
"$BUILD/bin/ferry-som" --config "$tmp/som.conf" 2>"$tmp/som.log" &
pid=$!
for i in $(seq 50); do [ -S "$tmp/som.sock" ] && break; sleep 0.1; done
"$BUILD/selftests/bin/wirepoke" --connect 127.0.0.1:$port --key "$tmp/a.key" \
	--som-key "$(cat "$tmp/som.key.pub")" --host-id 7 handshakes "$N"
