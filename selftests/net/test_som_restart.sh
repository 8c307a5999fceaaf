#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The registry survives the SOM: three real ferry-soa agents (each with its
# datapath on a link of its own) register with ferry-som; the SOM is
# stopped, then killed (-9), and started again each time: its journal gives
# back the same registry at once, and every agent re-registers by itself
# (backoff); the registry is equal before and after; a journal of the
# previous version (1) still loads. An agent killed (-9)
# and one stopped (-STOP, silent without closing) are marked lost within the
# heartbeat bound; the stopped one comes back when continued.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh
BUILD=${BUILD:-build}

[ "$(id -u)" = 0 ] || skip "needs root"
tmp=$(mktemp -d)
cleanup() {
	local i
	mig_stop_agents
	for i in 1 2 3; do
		"$FERRYCTL" --netns "$NS" --instance somrst$i unload >/dev/null 2>&1
		# an agent killed with -9 leaves its socket behind
		rm -f /run/ferry/somrst$i.sock
	done
	som_cleanup
}
trap cleanup EXIT INT TERM
som_ns_setup somrst
HB_MS=300 LOST_MS=1200

som_key som
: > "$tmp/authorized_keys"
for i in 1 2 3; do
	som_key soa$i
	echo "$(pub soa$i) soa 10$i 198.18.50.0/24" >> "$tmp/authorized_keys"
	ip -n "$NS" link add somv$i type veth peer name somp$i
	ip -n "$NS" link set somv$i up
	ip -n "$NS" link set somp$i up
	cat > "$tmp/soa$i.conf" <<-CONF
	[agent]
	instance = somrst$i
	host_id = 10$i
	control_socket = /run/ferry/somrst$i.sock
	[table]
	ct_max = $((1024 * i))
	[interface somv$i]
	hook = xdp
	xdp_mode = generic
	[rules]
	rule = allow proto tcp
	[security]
	identity_key = $tmp/soa$i.key
	som_address = $SOM_ADDR:$SOM_PORT
	som_public_key = $(pub som)
	CONF
done
som_conf
som_start

state_of() { som_status | grep -A1 "^host $1 " | tail -1; }
is_lost() { state_of "$1" | grep -q 'state lost'; }
is_connected() { state_of "$1" | grep -q 'state connected'; }

for i in 1 2 3; do mig_start_agent $i; done
wait_for 20 som_connected 3 || { cat "$tmp"/*.log; som_status; fail "three agents registered"; }
echo "ok: three ferry-soa agents registered"
check "ferryctl agent shows the agent registered" \
	[ -n "$("$FERRYCTL" --socket /run/ferry/somrst1.sock agent | grep '^som *registered')" ]
before=$(som_registry)
echo "$before"
check "profiles name the instance, capacity and the agent's address" \
	[ -n "$(echo "$before" | grep 'host 102 name somrst2 .* addresses 198.18.50.1 functions firewall schema 1..2 capacity 2048')" ]

for sig in TERM KILL; do
	som_stop $sig
	som_start
	check "after SIGKILL/TERM ($sig) the journal gives the same registry at once" \
		[ "$(som_registry)" = "$before" ]
	wait_for 40 som_connected 3 || { som_status; cat "$tmp/som.log"; fail "agents re-registered after $sig"; }
	echo "ok: all three agents re-registered by themselves after $sig"
	check "registry equal before and after the restart ($sig)" \
		[ "$(som_registry)" = "$before" ]
done
check "a re-registration with the same profile is not journaled again" \
	[ "$(grep -c 'registered host 101 .*(unchanged)' "$tmp/som.log")" -ge 2 ]

kill -KILL "${AGENTS[1]}"; wait "${AGENTS[1]}" 2>/dev/null; AGENTS[1]=
wait_for 10 is_lost 101 || fail "the killed agent marked lost"
echo "ok: the killed agent is marked lost ($(state_of 101 | sed 's/^ *//'))"
kill -STOP "${AGENTS[2]}"
wait_for 10 is_lost 102 || fail "the stopped agent marked lost"
check "the silent agent is lost for want of heartbeats" \
	[ -n "$(grep 'host 102 lost: no heartbeat for 1200 ms' "$tmp/som.log")" ]
check "the third agent stays connected" is_connected 103
kill -CONT "${AGENTS[2]}"
wait_for 40 is_connected 102 || fail "the continued agent came back"
echo "ok: the continued agent reconnected and registered again"
check "the registry still holds every host" [ "$(som_registry)" = "$before" ]

# A reload of an agent: a changed profile reaches the SOM on the same link;
# a changed pinned key makes the agent drop the link (the SOM is now an
# impostor to it) and its host is lost; the right key brings it back.
sed -i 's/^ct_max = 3072/ct_max = 8192/' "$tmp/soa3.conf"
kill -HUP "${AGENTS[3]}"
wait_for 10 eval 'som_registry | grep -q "^host 103 .*capacity 8192"' || fail "a reloaded profile reaches the SOM"
echo "ok: a reloaded agent's new capacity reaches the SOM"
cp "$tmp/soa3.conf" "$tmp/soa3.good"
sed -i "s|^som_public_key = .*|som_public_key = $(pub soa1)|" "$tmp/soa3.conf"
kill -HUP "${AGENTS[3]}"
wait_for 10 is_lost 103 || fail "an agent whose pinned key changed leaves"
wait_for 10 grep -q "not the pinned key" "$tmp/agent3.log" || fail "and refuses the SOM"
echo "ok: with another pinned key the agent refuses the SOM and its host is lost"
cp "$tmp/soa3.good" "$tmp/soa3.conf"
kill -HUP "${AGENTS[3]}"
wait_for 40 is_connected 103 || fail "the right key brings it back"
echo "ok: the right key again: registered"
before=$(som_registry)

# A version-1 journal (host records without a kind byte, before migrations
# were journaled), made from this one, still loads and is rewritten as v2.
som_stop TERM
python3 - "$tmp/som.journal" <<'PY' || fail "converting the journal to version 1"
import struct, sys, zlib
path = sys.argv[1]
b = open(path, "rb").read()
assert b[:8] == b"FERRYJ2\n", b[:8]
out, off = [b"FERRYJ1\n"], 8
while off < len(b):
    n, crc = struct.unpack(">II", b[off:off + 8])
    p = b[off + 8:off + 8 + n]
    off += 8 + n
    assert zlib.crc32(p) == crc
    if p[0] == 1:
        out.append(struct.pack(">II", n - 1, zlib.crc32(p[1:])) + p[1:])
open(path, "wb").write(b"".join(out))
PY
check "the converted journal has the version 1 header" [ "$(head -c 8 "$tmp/som.journal")" = FERRYJ1 ]
som_start
check "a version 1 journal gives the same registry" [ "$(som_registry)" = "$before" ]
check "it was read as version 1" grep -q "version 1, [0-9]* record(s), 3 host(s)" "$tmp/som.log"
check "and rewritten as version 2" [ "$(head -c 8 "$tmp/som.journal")" = FERRYJ2 ]

# A crash mid-append leaves a torn record: replay drops it, keeps the rest.
som_stop TERM
printf '\x00\x00\x01\x00\xde\xad' >> "$tmp/som.journal"
som_start
check "a torn last record is dropped, the registry kept" [ "$(som_registry)" = "$before" ]
check "and the drop is logged" [ -n "$(grep 'torn or corrupt record at offset' "$tmp/som.log")" ]
som_stop TERM
echo "not a journal" > "$tmp/som.journal"
nsenter --net=/run/netns/"$NS" "$SOM" --config "$tmp/som.conf" 2>"$tmp/bad.log"; rc=$?
check "a file that is not a journal is refused (rc $rc)" \
	[ $rc != 0 -a -n "$(grep 'not a ferry-som journal' "$tmp/bad.log")" ]
