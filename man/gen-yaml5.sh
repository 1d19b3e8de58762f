#!/bin/sh
#
# gen-yaml5.sh: rewrite the key sections of man/llmux.yaml.5 from the key
# table in src/cfg_keys.c, through cfg_keys_mdoc() in src/cfg_doc.c.  The text
# between the BEGIN and END GENERATED KEYS comments is replaced; the rest
# of the page is written by hand.
#
# usage: man/gen-yaml5.sh [-c]
#   -c  only check: exit 1 when the page differs from the table
#
# Needs cc, pkg-config and the libyaml headers (build dependencies).
set -eu

check=0
if [ "${1:-}" = "-c" ]; then
	check=1
fi
top=$(cd "$(dirname "$0")/.." && pwd)
page="$top/man/llmux.yaml.5"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/gen.c" <<'EOF'
#include <stdio.h>

#include "cfg.h"

int	main(void);

int
main(void)
{
	return (cfg_keys_mdoc(stdout) == LX_OK && fflush(stdout) == 0 ? 0 : 1);
}
EOF
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -D_GNU_SOURCE -I"$top/include" \
    $(pkg-config --cflags yaml-0.1) -o "$tmp/gen" "$tmp/gen.c" \
    "$top/src/cfg_doc.c" "$top/src/cfg_keys.c" "$top/src/cfg_val.c" -lm
"$tmp/gen" >"$tmp/keys"

if ! grep -q '^\.\\" BEGIN GENERATED KEYS' "$page" ||
    ! grep -q '^\.\\" END GENERATED KEYS' "$page"; then
	echo "gen-yaml5.sh: $page lacks the GENERATED KEYS markers" >&2
	exit 1
fi
awk -v keys="$tmp/keys" '
/^\.\\" BEGIN GENERATED KEYS/ {
	print
	while ((getline l < keys) > 0)
		print l
	skip = 1
	next
}
/^\.\\" END GENERATED KEYS/ { skip = 0 }
!skip { print }
' "$page" >"$tmp/page"

if cmp -s "$tmp/page" "$page"; then
	exit 0
fi
if [ "$check" = 1 ]; then
	echo "man/llmux.yaml.5 differs from src/cfg_keys.c;" \
	    "run man/gen-yaml5.sh" >&2
	exit 1
fi
cp "$tmp/page" "$page"
echo "man/llmux.yaml.5: key sections regenerated"
