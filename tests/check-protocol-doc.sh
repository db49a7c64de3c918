#!/bin/sh
# Fail when doc/protocol.md does not name every message, enum and enum value
# of the wire schema.
set -eu
proto=$1
doc=$2
missing=0
names=$(sed -n -E 's/^[[:space:]]*(message|enum)[[:space:]]+([A-Za-z0-9_]+).*/\2/p' "$proto")
values=$(sed -n -E 's/^[[:space:]]*([A-Z][A-Z0-9_]+)[[:space:]]*=[[:space:]]*[0-9]+;.*/\1/p' "$proto")
for n in $names $values; do
	if ! grep -q -E "\`$n( = [0-9]+)?\`" "$doc"; then
		echo "doc/protocol.md does not describe \`$n\`"
		missing=$((missing + 1))
	fi
done
total=$(printf '%s\n%s\n' "$names" "$values" | grep -c .)
echo "$total schema names checked, $missing missing"
[ "$missing" -eq 0 ]
