#!/bin/bash
# Fetch one of Debian 12's kernels with apt and unpack it for vmtest.
#   vmtest/fetch-kernel.sh 6.1|6.12 OUTDIR
# The package is the one Debian 12's meta-package currently depends on
# (cloud flavour: small, has virtio and serial console built in); set
# VMTEST_KPKG to pin an exact package, e.g. linux-image-6.1.0-56-cloud-amd64.
# Prints two lines: the unpacked root (boot/vmlinuz-*, lib/modules/*) and
# the kernel release. Already fetched packages are reused.
set -euo pipefail

kernel=${1:?usage: fetch-kernel.sh 6.1|6.12 OUTDIR}
out=${2:?usage: fetch-kernel.sh 6.1|6.12 OUTDIR}

case $kernel in
6.1)	meta=linux-image-cloud-amd64; prefix=linux-image-6.1.0- ;;
6.12)	meta=linux-image-6.12-cloud-amd64; prefix=linux-image-6.12. ;;
*)	echo "fetch-kernel: unknown kernel '$kernel' (known: 6.1 6.12)" >&2
	exit 2 ;;
esac

resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		awk -v p="$prefix" '$1 == "Depends:" && index($2, p) == 1 { print $2; exit }'
}

pkg=${VMTEST_KPKG:-}
if [ -z "$pkg" ]; then
	pkg=$(resolve)
	if [ -z "$pkg" ]; then
		# A fresh machine may have no package lists yet.
		apt-get update -qq >&2 || true
		pkg=$(resolve)
	fi
fi
if [ -z "$pkg" ]; then
	echo "fetch-kernel: apt knows no package behind $meta (is bookworm-security in the apt sources?)" >&2
	exit 1
fi
case $pkg in
"$prefix"*) ;;
*)	echo "fetch-kernel: $pkg is not a $kernel kernel" >&2; exit 2 ;;
esac

mkdir -p "$out/debs"
deb=$(ls "$out/debs/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	echo "vmtest: downloading $pkg" >&2
	(cd "$out/debs" && apt-get download -q "$pkg" >&2 2>/dev/null) || {
		echo "fetch-kernel: apt-get download $pkg failed" >&2
		exit 1
	}
	deb=$(ls "$out/debs/${pkg}"_*.deb | head -n 1)
fi

root="$out/$pkg"
if [ ! -e "$root/.unpacked" ]; then
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$deb" "$root"
	kver=$(ls "$root/lib/modules")
	depmod -b "$root" "$kver"
	dpkg-deb -f "$deb" Package Version > "$root/.unpacked"
fi
kver=$(ls "$root/lib/modules")
echo "$root"
echo "$kver"
