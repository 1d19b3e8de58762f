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
# First, a few configs that must be refused are checked the same way.
set -u

build=${1:?usage: tests/configs.sh BUILD_DIR [REF_DIR]}
top=$(cd "$(dirname "$0")/.." && pwd)
ref=${2:-$top/../shared/reference}
case $build in
/*)	;;
*)	build=$(pwd)/$build ;;
esac
llmux=$build/llmux

# Configs that --test must refuse, each with a phrase its output must show
# and one it must not (secrets from the environment are never printed).
if [ ! -x "$llmux" ]; then
	echo "configs.sh: $llmux is not built" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
bad=0
refuse() {	# name, yaml, must-show, must-not-show
	printf '%s' "$2" >"$tmp/$1.yaml"
	if out=$(LLMUX_T_SECRET=sk-provider-env-SECRET-123 \
	    "$llmux" --config "$tmp/$1.yaml" --test 2>&1); then
		echo "FAIL $1: accepted"
		bad=1
	elif ! printf '%s\n' "$out" | grep -qF -- "$3" ||
	    printf '%s\n' "$out" | grep -qF -- "$4"; then
		echo "FAIL $1:"
		printf '%s\n' "$out" | sed 's/^/	/'
		bad=1
	fi
}
refuse env-int 'model_list:
  - model_name: m
    litellm_params:
      model: openai/m
      rpm: os.environ/LLMUX_T_SECRET
' 'got the value of os.environ/LLMUX_T_SECRET' 'SECRET-123'
refuse env-enum 'router_settings:
  routing_strategy: os.environ/LLMUX_T_SECRET
' 'got the value of os.environ/LLMUX_T_SECRET' 'SECRET-123'
refuse twice 'general_settings:
  master_key: sk-1234
general_settings:
  max_request_size_mb: 2
' 'section given twice, at lines 1 and 3' 'sk-1234'
refuse zero 'llmux_settings:
  header_timeout: 0
' 'header_timeout: must be greater than 0' 'configuration OK'
refuse prefix 'general_settings:
  master_key: "sk-"
' "needs characters after 'sk-'" 'configuration OK'
if [ "$bad" -ne 0 ]; then
	echo "configs.sh: a config that must be refused was not" >&2
	exit 1
fi

dir=$ref/configs/litellm
if [ ! -d "$dir" ]; then
	echo "configs.sh: skipped: no reference configs in $dir"
	exit 0
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
