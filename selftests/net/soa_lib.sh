# Shared by the agent's namespace tests: ferry-soa on the src -- fw -- dst
# path of lib.sh. Source after lib.sh with INSTANCE set; call soa_setup
# PREFIX, write "$tmp/soa.conf", then start_agent.
BUILD=${BUILD:-build}
SOA=$PWD/$BUILD/bin/ferry-soa
FLOWCHECK=$PWD/$BUILD/selftests/bin/flowcheck
SOCK=/run/ferry/$INSTANCE.sock
AGENT=

soa_cleanup() {
	[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	path_cleanup
	rm -rf "$tmp"
}

soa_setup() {	# soa_setup PREFIX: the path, $tmp, cleanup on exit
	[ "$(id -u)" = 0 ] || skip "needs root"
	tmp=$(mktemp -d)
	path_setup "$1"
	trap soa_cleanup EXIT INT TERM
}

# The agent in fw's namespace, keeping our mount namespace (bpffs).
start_agent() {
	nsenter --net=/run/netns/"$NS_FW" "$SOA" --config "$tmp/soa.conf" \
		2>>"$tmp/agent.log" &
	AGENT=$!
	local i
	# Up to 60 s: in an emulated guest (vmtest) loading and verifying the
	# datapath and the state operations takes tens of seconds.
	for i in $(seq 300); do
		[ -S "$SOCK" ] && "$FERRYCTL" --socket "$SOCK" agent >/dev/null 2>&1 && return 0
		kill -0 "$AGENT" 2>/dev/null || break
		sleep 0.2
	done
	cat "$tmp/agent.log"
	fail "the agent did not come up"
}

agentctl() { "$FERRYCTL" --socket "$SOCK" --instance "$INSTANCE" "$@"; }
