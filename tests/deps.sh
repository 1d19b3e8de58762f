#!/bin/sh
# Install the build and test dependencies that are missing; a no-op when
# every one is present.  Debian 12 package names.
set -e
PKGS="build-essential pkg-config libevent-dev libcurl4-openssl-dev \
libyaml-dev libjson-c-dev liblmdb-dev libssl-dev libpq-dev libcriterion-dev \
mandoc curl postgresql clang libclang-rt-14-dev wrk gnuplot-nox"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
# Node may come from another packaging with npm bundled: ask for commands.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v nginx >/dev/null 2>&1 || missing="$missing nginx-light"
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
