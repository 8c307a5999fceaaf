# Shared by the SOM tests: one namespace with addresses on a veth link,
# keys, a SOM configuration, and helpers to start it and ask it things.
# Source it after lib.sh; call som_ns_setup NAME, som_keys, som_conf.

SOM=$PWD/${BUILD:-build}/bin/ferry-som
POKE=$PWD/${BUILD:-build}/selftests/bin/wirepoke
SOM_PID=
SOM_ADDR=198.18.50.1
SOM_PORT=7400

som_ns_setup() {	# som_ns_setup NS: namespace with lo and veth somd0 (peer somd1) up
	NS=$1
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS" || fail "cannot create namespace $NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add somd0 type veth peer name somd1 || fail "veth"
	ip -n "$NS" link set somd0 up
	ip -n "$NS" link set somd1 up
	local a
	for a in 1 2 3 4 5 9 66; do
		ip -n "$NS" addr add 198.18.50.$a/24 dev somd0
	done
	ip -n "$NS" addr add 2001:db8:50::1/64 dev somd0 nodad
	ip -n "$NS" addr add 2001:db8:50::2/64 dev somd0 nodad
}

som_cleanup() {
	[ -n "$SOM_PID" ] && kill "$SOM_PID" 2>/dev/null && wait "$SOM_PID" 2>/dev/null
	SOM_PID=
	[ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
	return 0
}

som_key() {	# som_key NAME: $tmp/NAME.key and .pub
	"$FERRYCTL" keygen --out "$tmp/$1.key" >/dev/null || fail "keygen $1"
}
pub() { cat "$tmp/$1.key.pub"; }

som_conf() {	# som_conf [EXTRA LIMIT LINES...]
	cat > "$tmp/som.conf" <<-CONF
	[som]
	identity_key = $tmp/som.key
	authorized_keys = $tmp/authorized_keys
	listen = $SOM_ADDR:$SOM_PORT
	listen = [2001:db8:50::1]:$SOM_PORT
	journal = $tmp/som.journal
	control_socket = $tmp/som.sock
	heartbeat_interval_ms = ${HB_MS:-300}
	lost_timeout_ms = ${LOST_MS:-1200}
	[limits]
	handshake_timeout_ms = 1000
	max_pending_per_source = 4
	handshakes_per_second = 50
	frames_per_second = 500
	CONF
}

som_start() {
	nsenter --net=/run/netns/"$NS" "$SOM" --config "$tmp/som.conf" \
		2>>"$tmp/som.log" &
	SOM_PID=$!
	local i
	for i in $(seq 50); do
		[ -S "$tmp/som.sock" ] && som_status >/dev/null 2>&1 && return 0
		kill -0 "$SOM_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/som.log"
	fail "the SOM did not come up"
}
som_stop() {	# som_stop [SIGNAL]
	kill -"${1:-TERM}" "$SOM_PID"
	wait "$SOM_PID" 2>/dev/null
	SOM_PID=
}
som_status() { "$FERRYCTL" som status --som-socket "$tmp/som.sock"; }
# The registry, without what changes from one moment to the next.
som_registry() { som_status | grep '^host ' | sort; }
# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local n=$(( $1 * 10 )); shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
