#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Attacks on a running ferry-som (draft §7), each expecting a refusal with
# its reason logged (with the source address) and nothing registered:
# unknown key, revoked key (line removed + SIGHUP, live session closed),
# key rotation (two keys for one host during the overlap), wrong role,
# disallowed source address, a flipped bit in every handshake field,
# a replayed HELLO, a replayed whole session, frames over the size limits,
# garbage, slow-loris (before and after the handshake), a handshake flood
# from one address (held to the limit while a legitimate agent registers),
# version mismatch, clock skew, a frame-rate storm, and NOTIFY from the
# wrong role or malformed. Refusals are signed RESULTs: wirepoke checks the
# signature with the SOM's pinned key.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh

[ "$(id -u)" = 0 ] || skip "needs root"
tmp=$(mktemp -d)
trap som_cleanup EXIT INT TERM
som_ns_setup somsec

for k in som soa7 soa7b soa8 soa9 tde3 stranger; do som_key $k; done
write_keys() {	# write_keys LINE...
	printf '%s\n' "# test keys" "$@" > "$tmp/authorized_keys"
}
K7="$(pub soa7) soa 7 198.18.50.2/32,2001:db8:50::2"
K7B="$(pub soa7b) soa 7 198.18.50.2"
K8="$(pub soa8) soa 8 198.18.50.0/24"
K9="$(pub soa9) soa 9 198.18.50.0/24"
KT="$(pub tde3) tde 3 any"
write_keys "$K7" "$K8" "$K9" "$KT"
som_conf
som_start

poke() {	# poke KEY HOST_ID BIND MODE...: wirepoke in the namespace
	local key=$1 host=$2 src=$3; shift 3
	ip netns exec "$NS" "$POKE" --connect "$SOM_ADDR:$SOM_PORT" --bind "$src" \
		--key "$tmp/$key.key" --som-key "$(pub som)" --host-id "$host" "$@"
}
nreg() { grep -c '^registered host' "$tmp/som.log"; }
mark() { MARK=$(wc -l < "$tmp/som.log"); REG=$(nreg); }
# logged PATTERN: a log line since the mark matches
logged() { tail -n +$((MARK + 1)) "$tmp/som.log" | grep -q -- "$1"; }
none_registered() { [ "$(nreg)" = "$REG" ]; }
# expect WHAT OUTPUT_PATTERN LOG_PATTERN KEY HOST SRC MODE...
expect() {
	local what=$1 want=$2 log=$3 out; shift 3
	mark
	out=$(poke "$@" 2>&1)
	echo "$out" | grep -q -- "$want" || { tail -5 "$tmp/som.log"; fail "$what: got '$out', want '$want'"; }
	wait_for 5 logged "$log" || { tail -5 "$tmp/som.log"; fail "$what: no log line '$log'"; }
	none_registered || fail "$what: something registered"
	echo "ok: $what: $out"
}

# The honest agent first, so each refusal below is set against a success.
out=$(poke soa7 7 198.18.50.2 register --name fw7 --addr 198.18.50.2)
check "an authorized SOA registers ($out)" [ -n "$(echo "$out" | grep 'registered host 7')" ]
out=$(ip netns exec "$NS" "$POKE" --connect "[2001:db8:50::1]:$SOM_PORT" --bind 2001:db8:50::2 \
	--key "$tmp/soa7.key" --som-key "$(pub som)" --host-id 7 register --name fw7 --addr 198.18.50.2)
check "and over IPv6 ($out)" [ -n "$(echo "$out" | grep 'registered host 7')" ]

# No trust on first use, from the agent's side: a SOM whose key is not the
# pinned one (an impostor, or a man in the middle) is refused by the agent.
out=$(ip netns exec "$NS" "$POKE" --connect "$SOM_ADDR:$SOM_PORT" --bind 198.18.50.2 \
	--key "$tmp/soa7.key" --som-key "$(pub stranger)" --host-id 7 register 2>&1)
check "an agent refuses a SOM whose key it did not pin ($out)" \
	[ -n "$(echo "$out" | grep 'refused: .*pinned')" ]

S=198.18.50.3	# the attackers' address, allowed for host 8 and 9
expect "unknown key" "result: unknown key (signature ok)" \
	"refused $S:[0-9]*: handshake: refused (unknown key)" stranger 8 $S hs
expect "wrong role: a SOA key claiming tde" "result: role not allowed (signature ok)" \
	"refused $S:[0-9]*: .*(role not allowed): .*role soa, not tde" soa8 8 $S --role tde hs
expect "wrong role: a TDE key claiming soa" "result: role not allowed (signature ok)" \
	"refused $S:[0-9]*: .*(role not allowed)" tde3 3 $S --role soa hs
expect "wrong host id" "result: host id not allowed (signature ok)" \
	"refused $S:[0-9]*: .*(host id not allowed)" soa8 9 $S hs
expect "disallowed source address" "result: source address not allowed (signature ok)" \
	"refused 198.18.50.9:[0-9]*: .*(source address not allowed)" soa7 7 198.18.50.9 hs
expect "version mismatch" "result: no common protocol version (signature ok)" \
	"refused $S:[0-9]*: .*(no common protocol version)" soa8 8 $S --version 2:9 hs
expect "clock skew (a HELLO five minutes old)" "result: clock skew too large (signature ok)" \
	"refused $S:[0-9]*: .*(clock skew too large)" soa8 8 $S hs --old-ms 300000

# A flipped bit in each field of HELLO (type, version_min, version_max,
# role, host_id, identity_key, ephemeral_key, timestamp_ms, nonce) and AUTH
# (type, signature). What the SOM says depends on the field; it is never
# an acceptance.
want_hello=("protocol violation" "bad signature" "malformed message" "role not allowed"
	    "host id not allowed" "unknown key" "bad signature" "bad signature" "bad signature")
for k in 0 1 2 3 4 5 6 7 8; do
	expect "HELLO field $k flipped" "result: ${want_hello[$k]} (signature ok)" \
		"refused $S:[0-9]*: .*(${want_hello[$k]})" soa8 8 $S hs --flip hello:$k
done
expect "AUTH type flipped" "result: protocol violation (signature ok)" \
	"refused $S:[0-9]*: .*(protocol violation)" soa8 8 $S hs --flip auth:0
expect "AUTH signature flipped" "result: bad signature (signature ok)" \
	"refused $S:[0-9]*: .*(bad signature)" soa8 8 $S hs --flip auth:1
mark
out=$(poke soa8 8 $S hs)
check "the same hand-written handshake unflipped is accepted ($out)" \
	[ "$out" = "result: accepted (signature ok)" ]

# Replays: a genuine session of host 9 recorded, then played back.
out=$(poke soa9 9 $S register --record "$tmp/rec9")
check "a genuine session recorded ($out)" [ -n "$(echo "$out" | grep 'registered host 9')" ]
expect "replayed whole session" "result: bad signature (signature ok)" \
	"refused $S:[0-9]*: .*(bad signature): initiator's transcript signature" soa9 9 $S replay "$tmp/rec9"
expect "replayed HELLO (the SOM answers, the replayer cannot sign: timeout)" "closed after 2 frame(s)" \
	"refused $S:[0-9]*: limit: handshake not done in 1000 ms" soa9 9 $S replay-hello "$tmp/rec9"

# Bytes that are not the protocol.
expect "garbage before the handshake (an HTTP request)" "closed after 0 frame(s)" \
	"refused $S:[0-9]*: frame of 1195725856 bytes over the limit of 512" soa8 8 $S garbage
expect "garbage before the handshake (a small frame of junk)" "result: malformed message (signature ok)" \
	"refused $S:[0-9]*: .*(malformed message)" soa8 8 $S garbage 00000006c1c1c1c1c1c1
expect "handshake frame over the size limit" "closed" \
	"refused $S:[0-9]*: frame of 513 bytes over the limit of 512" soa8 8 $S oversize
expect "frame over 1 MiB after the handshake" "closed" \
	"closing $S:[0-9]* (soa host 8): frame of 1048577 bytes over the limit of 1048576" soa8 8 $S oversize-after
expect "slow-loris: a partial HELLO held open" "closed" \
	"refused $S:[0-9]*: limit: handshake not done in 1000 ms (a frame partly sent)" soa8 8 $S partial
expect "slow-loris: a partial frame after the handshake" "closed" \
	"closing $S:[0-9]* (soa host 8): limit: a frame partly sent for over 1000 ms" soa8 8 $S partial-after
mark
out=$(poke soa8 8 $S storm 3000)
check "a frame-rate storm is cut ($out)" [ "$out" = "closed by the SOM: resource limit" ]
wait_for 5 logged "closing $S:[0-9]* (soa host 8): resource limit: limit: over 500 frames per second" ||
	fail "the storm is logged"

# Flood: 40 silent connections from one address, while host 7 registers.
mark
poke soa8 8 198.18.50.66 flood 40 600 > "$tmp/flood.out" &
fpid=$!
sleep 0.3
out=$(poke soa7 7 198.18.50.2 register --name fw7 --addr 198.18.50.2)
wait $fpid
flood=$(cat "$tmp/flood.out")
check "a legitimate agent registers during the flood ($out)" [ -n "$(echo "$out" | grep 'registered host 7')" ]
check "the flood holds no more than max_pending_per_source (4) connections ($flood)" \
	[ "$(echo "$flood" | awk '{print $2}')" -le 4 -a "$(echo "$flood" | awk '{print $4}')" -ge 36 ]
check "the flood is refused and logged with its address" \
	logged "refused 198.18.50.66:[0-9]*: limit: .* handshakes in progress from this address"

# Revocation: a live session of host 9 is closed by SIGHUP after its line
# goes, and the key is refused from then on; the SOM keeps running.
poke soa9 9 $S register --hold-ms 20000 > "$tmp/hold9.out" 2>&1 &
hpid=$!
wait_for 5 grep -q registered "$tmp/hold9.out" || fail "host 9 holds a session"
mark
write_keys "$K7" "$K8" "$KT"
kill -HUP "$SOM_PID"
wait $hpid
check "the revoked key's live session is closed ($(tail -1 "$tmp/hold9.out"))" \
	[ "$(tail -1 "$tmp/hold9.out")" = "closed by the SOM: unknown key" ]
wait_for 5 logged "closing $S:[0-9]* (soa host 9): revoked (unknown key)" || fail "the revocation is logged"
expect "revoked key" "result: unknown key (signature ok)" \
	"refused $S:[0-9]*: .*(unknown key)" soa9 9 $S hs
check "the SOM was not restarted" kill -0 "$SOM_PID"

# Rotation: a second key for host 7; both work during the overlap; then
# the old one is removed and only the new one works.
write_keys "$K7" "$K7B" "$K8" "$KT"
kill -HUP "$SOM_PID"
wait_for 5 grep -q "reload: 4 authorized" "$tmp/som.log" || fail "reload"
out=$(poke soa7 7 198.18.50.2 register --name fw7 --addr 198.18.50.2)
out2=$(poke soa7b 7 198.18.50.2 register --name fw7 --addr 198.18.50.2)
check "during the overlap the old key registers host 7 ($out)" [ -n "$(echo "$out" | grep 'registered host 7')" ]
check "and so does the new one ($out2)" [ -n "$(echo "$out2" | grep 'registered host 7')" ]
write_keys "$K7B" "$K8" "$KT"
kill -HUP "$SOM_PID"
wait_for 5 grep -q "reload: 3 authorized" "$tmp/som.log" || fail "reload"
expect "the old key after the rotation" "result: unknown key (signature ok)" \
	"refused 198.18.50.2:[0-9]*: .*(unknown key)" soa7 7 198.18.50.2 hs
out=$(poke soa7b 7 198.18.50.2 register --name fw7 --addr 198.18.50.2)
check "the new key still registers host 7 ($out)" [ -n "$(echo "$out" | grep 'registered host 7')" ]
printf 'garbage line\n' > "$tmp/authorized_keys"
mark
kill -HUP "$SOM_PID"
wait_for 5 logged "reload: .*authorized_keys:1: .*previous keys stay in force" || fail "a broken file is refused"
out=$(poke soa7b 7 198.18.50.2 register --name fw7 --addr 198.18.50.2)
check "a broken authorized-keys file keeps the previous keys ($out)" [ -n "$(echo "$out" | grep 'registered host 7')" ]

# TDE notifications: accepted from a TDE, kept, listed; refused otherwise.
out=$(poke tde3 3 $S --role tde notify --from 7 --to 8 --vm vm1 --zone 5 --vm-addr 198.18.60.5)
check "a TDE's NOTIFY is accepted ($out)" [ "$out" = "notified" ]
check "and listed by ferryctl som status" \
	[ -n "$(som_status | grep 'notify tde 3 vm vm1 zone 5 addresses 198.18.60.5 from 7 to 8 reason explicit')" ]
mark
out=$(poke tde3 3 $S --role tde notify --from 7 --to 7 --vm vm2)
check "a NOTIFY from a host to itself is refused ($out)" [ "$out" = "closed by the SOM: malformed message" ]
wait_for 5 logged "closing $S:[0-9]* (tde host 3): malformed message: NOTIFY: from_host 7, to_host 7" || fail "logged"
out=$(poke soa8 8 $S notify --from 7 --to 8 --vm vm3)
check "a NOTIFY from a SOA is refused ($out)" [ "$out" = "closed by the SOM: protocol violation" ]
check "neither is kept" [ -z "$(som_status | grep -E 'vm (vm2|vm3)')" ]

st=$(som_status)
check "the registry holds exactly the hosts that registered honestly" \
	[ "$(echo "$st" | grep '^host ' | awk '{print $2}' | sort | tr '\n' ' ')" = "7 8 9 " ]
echo "$st" | head -3
