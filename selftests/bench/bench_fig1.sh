#!/bin/bash
# Scenario 1 of the draft on the Figure 1 testbed with the whole system
# running, measured with N live TCP flows VM1 -> VM3 (N = 100 and 10000,
# BENCH_FIG1_FLOWS to change): each flow writes 64 bytes every PERIOD ms,
# its receiver checks every byte and records the longest gap between two
# reads. VM1 moves in two ways: announced by the hypervisor's migration
# hook (ferry-tde notify, the SOM moves the state, then the switch), and
# noticed by the TDE alone (the switch, the TDE sees NVE3's route change,
# the SOM migrates); and, for reference, not at all (none: the testbed's
# own gaps with N flows on this machine). Prints, per mode and N:
#   bench: fig1_<mode>_stall_<N>_median_ms / _max_ms   the flows' longest
#            gaps between two reads (their sending period included)
#   bench: fig1_<mode>_stall_<N>_over_period_max_ms   the longest gap less
#            one period: how long the worst flow went without data it was
#            sent
#   bench: fig1_<mode>_delay_<N>_median_ms / _max_ms   the flows' longest
#            time from writing a message to reading it: the path's stall,
#            without the time the sender takes to come round to the flow
#   bench: fig1_<mode>_flows_lost_<N>                 flows not intact
#   bench: fig1_<mode>_move_to_installed_<N>_ms       from the switch to
#            the state installed on FW2 (hook: it was before: 0)
#   bench: fig1_<mode>_mig_installed_<N>_ms           the SOM's own figure,
#            from the notice to installed
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

# bench_one MODE N PERIOD_MS SECONDS
bench_one() {
	local mode=$1 n=$2 period=$3 secs=$4 out t0 t1 m= line max k=fig1_$1
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
	if [ "$mode" = hook ]; then
		fig1_hook_notify vm1 fw1 fw2 || fail "ferry-tde notify"
		m=$(fig1_wait_migrations vm1 1 30) || fail "no migration after the hook"
	fi
	t0=$(now_ms)
	[ "$mode" = none ] || fig1_move_vm1
	[ "$mode" != tde ] || while :; do
		m=$(fig1_migration_of vm1) && [ -n "$m" ] && break
		[ $(( $(now_ms) - t0 )) -gt 30000 ] && fail "no migration within 30 s"
		sleep 0.02
	done
	t1=$(now_ms)
	[ "$mode" = tde ] || t1=$t0
	wait $client
	line=$(grep '^flows ' "$out")
	max=$(echo "$line" | awk '{print $12}')
	echo "  $mode, $n flows: $line; migration $(echo "${m:-null}" | jq -c '{phase, reason, flows, accepted, ms}')"
	echo "bench: ${k}_stall_${n}_median_ms $(echo "$line" | awk '{print $8}') ms"
	echo "bench: ${k}_stall_${n}_max_ms $max ms"
	echo "bench: ${k}_stall_${n}_over_period_max_ms $(( max > period ? max - period : 0 )) ms"
	echo "bench: ${k}_delay_${n}_median_ms $(echo "$line" | awk '{print $14}') ms"
	echo "bench: ${k}_delay_${n}_max_ms $(echo "$line" | awk '{print $18}') ms"
	echo "bench: ${k}_flows_lost_${n} $(echo "$line" | awk '{print $6}') flows"
	[ "$mode" = none ] && { fig1_teardown; fig1ctl_cleanup; rm -f "$out"; return; }
	echo "bench: ${k}_move_to_installed_${n}_ms $((t1 - t0)) ms"
	echo "bench: ${k}_mig_installed_${n}_ms $(echo "$m" | jq .ms.installed) ms"
	rm -f "$out"
	fig1_teardown
	fig1ctl_cleanup
}

for n in ${BENCH_FIG1_FLOWS:-100 10000}; do
	# 64 bytes per flow per period: 100 flows every 20 ms, 10000 every
	# second. One sender on this 2-core machine cannot write every 200 ms
	# to 10000 flows: each write crosses the whole testbed in its context,
	# and then the rounds themselves take a second (the "none" figures).
	period=$(( n / 10 > 20 ? n / 10 : 20 ))
	for mode in ${BENCH_FIG1_MODES:-none hook tde}; do
		bench_one "$mode" "$n" "$period" 10
	done
done
