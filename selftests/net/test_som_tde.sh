#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# ferry-tde's notifications reach the SOM when its [tde] section names it:
# `ferry-tde notify` (the hypervisor hook's path) sends a NOTIFY over an
# authenticated session as role tde; the SOM validates it, logs it and
# lists it in `ferryctl som status`. A TDE whose key the SOM does not know
# is refused (the notification is reported as not sent); without the SOM
# keys, the JSON line on stdout is unchanged. The daemon connects at start
# and is listed among the connected TDEs.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh
TDE=$PWD/${BUILD:-build}/bin/ferry-tde
TDE_PID=

[ "$(id -u)" = 0 ] || skip "needs root"
tmp=$(mktemp -d)
cleanup() {
	[ -n "$TDE_PID" ] && kill "$TDE_PID" 2>/dev/null && wait "$TDE_PID" 2>/dev/null
	som_cleanup
}
trap cleanup EXIT INT TERM
som_ns_setup somtde
for k in som tde3 stranger; do som_key $k; done
echo "$(pub tde3) tde 3 198.18.50.0/24" > "$tmp/authorized_keys"
som_conf
som_start

tde_conf() {	# tde_conf KEY: a TDE configuration; KEY "" for none
	{
		echo "[tde]"
		if [ -n "$1" ]; then
			echo "identity_key = $tmp/$1.key"
			echo "host_id = 3"
			echo "som_address = $SOM_ADDR:$SOM_PORT"
			echo "som_public_key = $(pub som)"
		fi
		cat <<-CONF
		[watch here]
		[host fw1]
		id = 1
		gateway = 198.18.50.4
		[host fw2]
		id = 2
		gateway = 198.18.50.5
		[vm vm1]
		zone = 4
		address = 198.18.70.10, 2001:db8:70::10
		mac = 02:00:00:00:70:10
		CONF
	} > "$tmp/tde.conf"
}
tde() { ip netns exec "$NS" "$TDE" "$@"; }

tde_conf tde3
out=$(tde notify --config "$tmp/tde.conf" --vm vm1 --from fw1 --to fw2 2>&1); rc=$?
check "ferry-tde notify sends to the SOM (rc $rc: $out)" [ $rc = 0 ]
check "nothing on stdout: the SOM is the sink" [ -z "$(echo "$out" | grep '^{')" ]
check "the SOM lists the notification" \
	[ -n "$(som_status | grep 'notify tde 3 vm vm1 zone 4 addresses 198.18.70.10,2001:db8:70::10 mac 02:00:00:00:70:10 from 1 to 2 reason explicit')" ]
check "and logged it" [ -n "$(grep "notify from TDE 3: vm 'vm1' zone 4" "$tmp/som.log")" ]

tde_conf stranger
out=$(tde notify --config "$tmp/tde.conf" --vm vm1 --from fw2 --to fw1 2>&1); rc=$?
check "a TDE of unknown key is refused and says so (rc $rc: $out)" \
	[ $rc = 1 -a -n "$(echo "$out" | grep 'refused by the responder: unknown key')" ]
check "the SOM logged the refusal with the source address" \
	[ -n "$(grep 'refused 198.18.50.1:[0-9]*: handshake: refused (unknown key)' "$tmp/som.log")" ]
check "nothing was kept from it" [ -z "$(som_status | grep 'from 2 to 1')" ]

tde_conf ""
out=$(tde notify --config "$tmp/tde.conf" --vm vm1 --from fw2 --to fw1 2>/dev/null)
check "without the SOM keys the notification is a JSON line as before" \
	[ -n "$(echo "$out" | grep '^{.*"vm":"vm1"')" ]
printf '[tde]\nhost_id = 3\n[watch here]\n' > "$tmp/bad.conf"
out=$(tde --check --config "$tmp/bad.conf" 2>&1)
check "the SOM keys go together ($out)" [ -n "$(echo "$out" | grep 'bad.conf:1: .*go together')" ]

tde_conf tde3
ip netns exec "$NS" "$TDE" --config "$tmp/tde.conf" 2>"$tmp/tde.log" >/dev/null &
TDE_PID=$!
wait_for 10 eval 'som_status | grep -q "^tde 3 from"' || { cat "$tmp/tde.log"; fail "the TDE daemon connects at start"; }
echo "ok: the TDE daemon connects at start and is listed: $(som_status | grep '^tde 3')"
