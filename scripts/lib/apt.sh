# Sourced by the scripts/install-*.sh that need Debian packages: `apt_install PACKAGE…` installs them, or fails
# with one line that says what to install and why it could not (not root, no apt-get), for scripts/prerequisites.sh
# to show. The packaged services are kept from starting (policy-rc.d 101): tests start private instances.
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "no apt-get here: install $* yourself (Debian package names)" >&2
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "needs root to install Debian packages: run as root, or apt-get install $* yourself" >&2
    return 1
  fi
  local created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get update -q || status=$?
  if [ "$status" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || status=$?
  fi
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ "$status" != 0 ]; then
    echo "apt-get install $* failed (exit $status)" >&2
  fi
  return "$status"
}
