#!/bin/bash
# Scenario 1 of the draft on the Figure 1 testbed with the whole system
# running, measured with N live TCP flows VM1 -> VM3 (N = 100 and 10000,
# BENCH_FIG1_FLOWS to change): each flow writes 64 bytes every PERIOD ms,
# its receiver checks every byte and records the longest gap between two
# reads. VM1 moves; the TDE sees the route change and the SOM migrates
# VM1's state from FW1 to FW2. Prints, per N:
#   bench: fig1_stall_<N>_median_ms / _max_ms   the flows' longest stalls
#   bench: fig1_flows_lost_<N>                  flows not intact at the end
#   bench: fig1_move_to_installed_<N>_ms        from the move to the state
#                                               installed on FW2
#   bench: fig1_mig_installed_<N>_ms            the SOM's own figure, from
#                                               the TDE's notice
# A flow's stall includes the sending period (its baseline) and TCP's
# retransmission backoff after the packets FW2 dropped before the state
# arrived.
set -u
cd "$(dirname "$0")/../.." || exit 1
. selftests/net/lib.sh
. selftests/net/fig1.sh
. selftests/net/fig1ctl.sh
FLOWMANY=$PWD/${BUILD:-build}/selftests/bin/flowmany
FLOWCHECK=$PWD/${BUILD:-build}/selftests/bin/flowcheck

[ "$(id -u)" = 0 ] || skip "needs root"
rules=$(mktemp)
echo "allow proto tcp from 198.18.10.0/24 to 198.18.30.0/24 dport 5300" > "$rules"
trap 'fig1_teardown; fig1ctl_cleanup; rm -f "$rules"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# bench_one N PERIOD_MS SECONDS
bench_one() {
	local n=$1 period=$2 secs=$3 out t0 t1 m line
	fig1_setup bf
	FIG1_CT_MAX=$(( n * 4 > 65536 ? n * 4 : 65536 )) fig1ctl_setup bf "$rules" "$rules"
	bg "$VM3" "$FLOWMANY" serve 5300
	sleep 0.3
	out=$(mktemp)
	ip netns exec "$VM1" "$FLOWMANY" run 198.18.30.1 5300 "$n" "$secs" "$period" \
		> "$out" 2>&1 &
	local client=$!
	# Moved once every flow is open and a few periods have passed.
	fig1_wait 60 grep -q "flows open" "$out" || { cat "$out"; fail "flows did not open"; }
	sleep 2
	t0=$(now_ms)
	fig1_move_vm1
	while :; do
		m=$(fig1_migration_of vm1) && [ -n "$m" ] && break
		[ $(( $(now_ms) - t0 )) -gt 30000 ] && fail "no migration within 30 s"
		sleep 0.02
	done
	t1=$(now_ms)
	wait $client
	line=$(grep '^flows ' "$out")
	echo "  $n flows: $line; migration $(echo "$m" | jq -c '{phase, reason, flows, accepted, ms}')"
	echo "bench: fig1_stall_${n}_median_ms $(echo "$line" | awk '{print $8}') ms"
	echo "bench: fig1_stall_${n}_max_ms $(echo "$line" | awk '{print $12}') ms"
	echo "bench: fig1_flows_lost_${n} $(echo "$line" | awk '{print $6}') flows"
	echo "bench: fig1_move_to_installed_${n}_ms $((t1 - t0)) ms"
	echo "bench: fig1_mig_installed_${n}_ms $(echo "$m" | jq .ms.installed) ms"
	rm -f "$out"
	fig1_teardown
	fig1ctl_cleanup
}

for n in ${BENCH_FIG1_FLOWS:-100 10000}; do
	# 64 bytes per flow per period: 100 flows every 20 ms, 10000 every 200 ms.
	period=$(( n / 50 > 20 ? n / 50 : 20 ))
	bench_one "$n" "$period" 10
done
