#!/bin/sh
#
# configs.sh: run "llmux --config F --test" on every reference config.
#
# usage: tests/configs.sh BUILD_DIR [REF_DIR]
#
# REF_DIR defaults to ../shared/reference beside the repository, where CI
# clones it; without it the script says so and skips (exit 0).  Every
# configs/litellm/*.yaml, *.yml and configs/seed-*.yaml must load without
# error (warnings are fine).  They load from configs/litellm as working
# directory, so include: files resolve, in a subshell that sources env.sh
# (a dummy value for each os.environ/ variable LiteLLM's configs name) and
# sets a placeholder for any other variable a config names.  Each failure
# is printed with llmux's diagnostics; the exit status is 1 if any failed.
set -u

build=${1:?usage: tests/configs.sh BUILD_DIR [REF_DIR]}
top=$(cd "$(dirname "$0")/.." && pwd)
ref=${2:-$top/../shared/reference}
case $build in
/*)	;;
*)	build=$(pwd)/$build ;;
esac
llmux=$build/llmux

dir=$ref/configs/litellm
if [ ! -d "$dir" ]; then
	echo "configs.sh: skipped: no reference configs in $dir"
	exit 0
fi
if [ ! -x "$llmux" ]; then
	echo "configs.sh: $llmux is not built" >&2
	exit 2
fi
cd "$dir" || exit 2

(
	# shellcheck disable=SC1091
	. ./env.sh
	n=0
	nfail=0
	failed=""
	for f in *.yaml *.yml ../seed-*.yaml; do
		[ -f "$f" ] || continue
		vars=$(grep -o 'os\.environ/[A-Za-z_][A-Za-z0-9_]*' "$f" |
		    sed 's|^os\.environ/||' | sort -u)
		for v in $vars; do
			eval "[ -n \"\${$v+set}\" ]" || export "$v=placeholder"
		done
		n=$((n + 1))
		if ! out=$("$llmux" --config "$f" --test 2>&1); then
			echo "FAIL $f"
			printf '%s\n' "$out" | sed 's/^/	/'
			nfail=$((nfail + 1))
			failed="$failed $f"
		fi
	done
	if [ "$nfail" -gt 0 ]; then
		echo "configs.sh: $nfail of $n configs failed:$failed"
		exit 1
	fi
	echo "configs.sh: all $n configs load"
)
