#!/usr/bin/env bash
# Unpacks Debian's OpenSMTPD (opensmtpd) for the interop tier without installing it: the
# package conflicts with the Postfix the tier also runs.  `apt-get download` fetches the .deb and
# each library it depends on that the machine lacks; `dpkg -x` unpacks them into
#     ${SMTPDIAG_OPENSMTPD_DIR:-~/.cache/smtpdiag/interop-opensmtpd}/root
# where tests/interop/opensmtpd.py looks (a machine with the package installed needs none of this).
# .ci/run calls it; nothing is installed and no service is started.  Debian or Ubuntu only.
set -euo pipefail
dest=${SMTPDIAG_OPENSMTPD_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/smtpdiag/interop-opensmtpd}
if [ -x "$dest/root/usr/sbin/smtpd" ] && [ -z "$(LD_LIBRARY_PATH="$dest/root/usr/lib/$(uname -m)-linux-gnu" ldd "$dest/root/usr/sbin/smtpd" | grep 'not found' || true)" ]; then
    echo "interop opensmtpd already unpacked in $dest"
    exit 0
fi
mkdir -p "$dest/debs" "$dest/root"
cd "$dest/debs"
download() {   # another apt-get may hold the lists' lock for a while: retry
    for _ in 1 2 3 4 5 6; do
        apt-get download -qq "$@" 2>/dev/null && return 0
        apt-get update -qq || true
        sleep 10
    done
    apt-get download -qq "$@"
}
download opensmtpd
deb=$(ls -t opensmtpd_*.deb | head -1)
# the libraries it depends on that are not installed here (names only, versions dropped)
missing=()
for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep '^lib'); do
    dpkg -s "$dep" >/dev/null 2>&1 || missing+=("$dep")
done
[ ${#missing[@]} -eq 0 ] || download "${missing[@]}"
for pkg in "$deb" "${missing[@]/%/_*.deb}"; do
    for file in $pkg; do dpkg -x "$file" "$dest/root"; done
done
echo "interop opensmtpd unpacked in $dest: ${deb%_*.deb}"
