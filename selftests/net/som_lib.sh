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

# mig_path CNS SNS CLIENT_ADDR...: the migration tests' path through $NS
# (the source agent's firewall): a client namespace CNS with CLIENT_ADDRs on
# c0 -- fwa (198.18.10.254) -- fwb (198.18.20.254) -- s0 198.18.20.1 in the
# server namespace SNS, and a spare link dstv/dstp for a second agent.
mig_path() {
	local cns=$1 sns=$2 a l
	shift 2
	ip netns add "$cns" && ip netns add "$sns" || fail "namespaces"
	ip -n "$NS" link add fwa type veth peer name c0 netns "$cns"
	ip -n "$NS" link add fwb type veth peer name s0 netns "$sns"
	ip -n "$NS" link add dstv type veth peer name dstp
	for l in fwa fwb dstv dstp; do ip -n "$NS" link set $l up; done
	ip -n "$NS" addr add 198.18.10.254/24 dev fwa
	ip -n "$NS" addr add 198.18.20.254/24 dev fwb
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$cns" link set lo up
	ip -n "$cns" link set c0 up
	for a in "$@"; do ip -n "$cns" addr add "$a"/24 dev c0; done
	ip -n "$cns" route add default via 198.18.10.254
	ip -n "$sns" link set lo up
	ip -n "$sns" link set s0 up
	ip -n "$sns" addr add 198.18.20.1/24 dev s0
	ip -n "$sns" route add default via 198.18.20.254
}

# mig_agent_conf PREFIX I CT_MAX IFACE...: $tmp/soaI.conf for agent
# PREFIX<I>, host 10<I>, generic XDP on the IFACEs, TCP allowed, the SOM's
# key pinned.
mig_agent_conf() {
	local p=$1 i=$2 ct=$3 f
	shift 3
	MIG_PREFIX=$p
	{
		printf '[agent]\ninstance = %s%s\nhost_id = 10%s\n' "$p" "$i" "$i"
		printf 'control_socket = /run/ferry/%s%s.sock\n' "$p" "$i"
		printf '[table]\nct_max = %s\n' "$ct"
		for f in "$@"; do
			printf '[interface %s]\nhook = xdp\nxdp_mode = generic\n' "$f"
		done
		printf '[rules]\nrule = allow proto tcp\n'
		printf '[security]\nidentity_key = %s\n' "$tmp/soa$i.key"
		printf 'som_address = %s:%s\nsom_public_key = %s\n' $SOM_ADDR $SOM_PORT "$(pub som)"
	} > "$tmp/soa$i.conf"
}

# The migration tests' agents and questions. mig_start_agent I runs agent
# I of $tmp/soaI.conf in $NS, its pid in AGENTS[I], its log $tmp/agentI.log,
# its state directory $tmp/stateI.
SOA=$PWD/${BUILD:-build}/bin/ferry-soa
AGENTS=()
mig_start_agent() {
	nsenter --net=/run/netns/"$NS" "$SOA" --config "$tmp/soa$1.conf" \
		--state-dir "$tmp/state$1" 2>>"$tmp/agent$1.log" &
	AGENTS[$1]=$!
}
# mig_stop_agents: every agent started, even a stopped one
mig_stop_agents() {
	local i
	for i in "${AGENTS[@]}"; do
		kill -CONT "$i" 2>/dev/null; kill "$i" 2>/dev/null; wait "$i" 2>/dev/null
	done
	AGENTS=()
}
som_connected() { [ "$(som_status | grep -c 'state connected')" = "$1" ]; }
# ferryctl on agent I's control socket
mig_ctl() { local i=$1; shift; "$FERRYCTL" --socket /run/ferry/$MIG_PREFIX$i.sock "$@"; }
mig_list() { "$FERRYCTL" som migrations --json --som-socket "$tmp/som.sock"; }
mig_field() {	# mig_field N KEY: of the Nth migration (0-based), KEY a.b for nested
	mig_list | python3 -c '
import json, sys
v = json.load(sys.stdin)[int(sys.argv[1])]
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}
mig_run() { "$FERRYCTL" migrate --som-socket "$tmp/som.sock" "$@"; }
# fail, for the migration tests: with the tail of every log in $tmp
mig_fail() {
	echo "FAIL: $*"
	local f
	for f in "$tmp"/*.log; do echo "== $f"; tail -15 "$f"; done
	exit 1
}
# mig_cleanup PREFIX: the agents stopped, instances PREFIX1 and PREFIX2
# unloaded (and their sockets removed: a kill -9 leaves them), som_cleanup
mig_cleanup() {
	local i
	mig_stop_agents
	for i in 1 2; do
		"$FERRYCTL" --netns "$NS" --instance "$1$i" unload >/dev/null 2>&1
		rm -f "/run/ferry/$1$i.sock"
	done
	som_cleanup
}
# mig_links NAME: veth pairs NAMEv1/NAMEp1 and NAMEv2/NAMEp2 in $NS, up
mig_links() {
	local i l
	for i in 1 2; do
		ip -n "$NS" link add "$1v$i" type veth peer name "$1p$i" || fail "veth"
		for l in "$1v$i" "$1p$i"; do ip -n "$NS" link set "$l" up; done
	done
}
