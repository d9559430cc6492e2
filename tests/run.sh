#!/usr/bin/env bash
# Install everything the tests need, then run them.  This is the README's test
# command and what CI (.ci/run) calls.  As root it installs the Debian peers
# (ipmitool, OpenIPMI's ipmi_sim, sslscan, nmap, OpenSSH, curl); otherwise the
# tests that need them skip with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
DEB_PKGS="ipmitool openipmi sslscan nmap openssh-server openssh-client openssl curl iproute2 nftables postgresql chromium"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $DEB_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
else
  echo "tests/run.sh: not root or no apt-get: Debian peers not installed; tests needing them will skip" >&2
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check .
exec python3 -m pytest -q -p no:cacheprovider "$@"
