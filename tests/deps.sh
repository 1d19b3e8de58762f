#!/bin/sh
# tests/deps.sh [run|check]: apt-get install the Debian 12 packages that
# are missing; a no-op when every one is present.
#
#   run     what building llmux and running it need (`make run`)
#   check   that, plus what every test of `make check` needs: Criterion,
#           Node and npm for the end-to-end tests, mandoc, clang for the
#           fuzz targets, and wrk, nginx, gnuplot, procps and iproute2 of
#           the benchmark smoke run (the default)
#
# Node is Debian's own (18 on Debian 12); the tests need nothing newer.
set -e
what=${1:-check}
RUN_PKGS="build-essential pkg-config libevent-dev libcurl4-openssl-dev \
libyaml-dev libjson-c-dev liblmdb-dev libssl-dev"
CHECK_PKGS="libcriterion-dev mandoc curl ca-certificates clang \
libclang-rt-14-dev wrk gnuplot-nox procps iproute2"
case $what in
run)	pkgs=$RUN_PKGS ;;
check)	pkgs="$RUN_PKGS $CHECK_PKGS" ;;
*)	echo "usage: tests/deps.sh [run|check]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
if [ "$what" = check ]; then
	# Node and nginx may come from another packaging: ask for commands.
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
	    missing="$missing nginx-light"
fi
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
