#!/bin/bash
# Run Ferry's selftests inside QEMU on Debian 12's kernels.
#   vmtest/run.sh [6.1] [6.12]          (default: both)
# For each kernel: fetch it with apt (vmtest/fetch-kernel.sh), build an
# initramfs with the tests (vmtest/mkinitramfs.sh), boot it (KVM if
# /dev/kvm works, else TCG), print the guest's console and read its
# VMTEST-RESULT line. Exits 0 if every kernel's tests passed, else with the
# first failing guest status (or 1 if a guest gave none).
# Environment: BUILD (build folder, default build), VMTEST_TESTS (test names
# or globs; default vmtest/tests.list), VMTEST_TIMEOUT (seconds per kernel,
# default 1800), VMTEST_MEM (default 1G), VMTEST_KPKG (pin a kernel package),
# VMTEST_VERBOSE=1 (print every test's full log, not only failures).
set -uo pipefail

BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
case $BUILD in
/*)	build=$BUILD ;;
*)	build=$top/$BUILD ;;
esac
out="$build/vmtest"
timeout_s=${VMTEST_TIMEOUT:-1800}
mem=${VMTEST_MEM:-1G}
kernels=${*:-6.1 6.12}

for tool in qemu-system-x86_64 busybox cpio dpkg-deb depmod xz; do
	if ! command -v "$tool" > /dev/null; then
		echo "vmtest: $tool is missing (run 'make deps' as root)" >&2
		exit 1
	fi
done

# The tests that exist here and match a pattern of the list.
patterns=${VMTEST_TESTS:-$(sed -e 's/#.*//' vmtest/tests.list)}
names=""
for t in "$build"/selftests/bin/test_* selftests/*/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	for p in $patterns; do
		# shellcheck disable=SC2053
		if [[ $name == $p ]]; then
			names="$names $name"
			break
		fi
	done
done
names=${names# }
if [ -z "$names" ]; then
	echo "vmtest: no built test matches '$patterns' (run 'make' first)" >&2
	exit 1
fi

use_tcg() {
	# shellcheck disable=SC2054 # the commas are QEMU's
	accel=(-accel tcg,thread=multi -cpu max)
	accel_name=tcg
}
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	accel=(-accel kvm -cpu host)
	accel_name=kvm
else
	use_tcg
fi

# boot KROOT KVER INITRD LOG: one run of the guest; sets qemu_rc.
boot() {
	timeout --kill-after=10 "$timeout_s" \
		qemu-system-x86_64 "${accel[@]}" -smp 2 -m "$mem" \
		-nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -nic none \
		-kernel "$1/boot/vmlinuz-$2" -initrd "$3" \
		-append "console=ttyS0 panic=-1 quiet vmtest.verbose=${VMTEST_VERBOSE:-0}" \
		< /dev/null 2>&1 | tr -d '\r' |
		sed -u -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tee "$4"
	qemu_rc=${PIPESTATUS[0]}
}

status=0
summary=""
mkdir -p "$out"
for k in $kernels; do
	if ! info=$(vmtest/fetch-kernel.sh "$k" "$out"); then
		echo "vmtest: $k: cannot fetch the kernel" >&2
		[ "$status" -eq 0 ] && status=1
		summary="$summary"$'\n'"vmtest: $k: FAIL (no kernel)"
		continue
	fi
	kroot=$(sed -n 1p <<< "$info")
	kver=$(sed -n 2p <<< "$info")
	initrd="$out/initramfs-$k.cpio"
	log="$out/console-$k.log"
	# shellcheck disable=SC2086 # one word per test
	if ! BUILD="$build" vmtest/mkinitramfs.sh "$kroot" "$kver" "$initrd" $names; then
		echo "vmtest: $k: cannot build the initramfs" >&2
		[ "$status" -eq 0 ] && status=1
		summary="$summary"$'\n'"vmtest: $k: FAIL (no initramfs)"
		continue
	fi
	echo "vmtest: booting $kver ($accel_name, $mem, 2 CPUs): $names"
	start=$(date +%s)
	# A guest that dies before our init runs (seen under TCG: an oops in
	# the kernel's own boot-time code patching) has tested nothing: boot
	# it again, at most twice. So does one that QEMU's emulation killed
	# with the same trap later (an int3 oops: the kernel patching its own
	# text, e.g. a static key a program's attach flips; docs/kernels.md):
	# the run starts over, so a failure of ours would come again. Any other
	# failure once init ran is never retried.
	for attempt in 1 2 3; do
		boot "$kroot" "$kver" "$initrd" "$log"
		# anywhere on a line: SeaBIOS ends "Booting from ROM.." without one
		if grep -q 'VMTEST-KERNEL:' "$log"; then
			[ "$accel_name" = tcg ] && [ "$attempt" -lt 3 ] &&
				! grep -q '^VMTEST-RESULT:' "$log" &&
				grep -q 'Oops: int3' "$log" || break
			echo "vmtest: $k: the emulated kernel trapped patching its own code (attempt $attempt; console: $log.attempt$attempt): booting again" >&2
			cp "$log" "$log.attempt$attempt"
			continue
		fi
		[ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ] && break
		echo "vmtest: $k: the kernel died before the tests started (attempt $attempt; console: $log)" >&2
		cp "$log" "$log.attempt$attempt"
		# A /dev/kvm that opens but cannot run this CPU model (seen
		# in nested VMs: QEMU aborts setting an MSR) is no KVM.
		if [ "$accel_name" = kvm ]; then
			echo "vmtest: KVM does not work here (QEMU exit $qemu_rc): using TCG" >&2
			use_tcg
		fi
	done
	secs=$(( $(date +%s) - start ))
	rc=$(sed -n 's/^VMTEST-RESULT: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
	if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
		echo "vmtest: $k: timed out after ${timeout_s}s, QEMU killed (console: $log)" >&2
		line="FAIL (timeout after ${timeout_s}s)"
		rc=1
	elif [ -z "$rc" ]; then
		echo "vmtest: $k: the guest stopped without a VMTEST-RESULT line (QEMU exit $qemu_rc; console: $log)" >&2
		line="FAIL (no result, QEMU exit $qemu_rc)"
		rc=1
	elif [ "$rc" -eq 0 ]; then
		line="ok"
	else
		line="FAIL (tests exit $rc)"
	fi
	[ "$rc" -ne 0 ] && [ "$status" -eq 0 ] && status=$rc
	summary="$summary"$'\n'"vmtest: $k ($kver, $accel_name): $line in ${secs}s"
done
echo "${summary#$'\n'}"
exit "$status"
