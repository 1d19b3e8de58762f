#!/bin/sh
# Install the build and test dependencies that are missing; a no-op when
# every package is present.  Debian 12 package names.
set -e
PKGS="build-essential pkg-config libevent-dev libcurl4-openssl-dev \
libyaml-dev libjson-c-dev liblmdb-dev libssl-dev libpq-dev libcriterion-dev \
mandoc curl nodejs npm postgresql"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
