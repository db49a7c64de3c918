#!/bin/sh
# Fail when a shared library exports a symbol outside the lc_ API.
set -eu
status=0
for lib in "$@"; do
	bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
		sed 's/@.*//' | grep -v -E '^(lc_|LIBCHAT)' || true)
	count=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/' | grep -c ' lc_' || true)
	if [ -n "$bad" ]; then
		echo "FAIL: $lib exports symbols outside lc_:"
		echo "$bad"
		status=1
	elif [ "$count" -eq 0 ]; then
		echo "FAIL: $lib exports no lc_ symbol"
		status=1
	else
		echo "ok: $lib exports $count lc_ symbols and nothing else"
	fi
done
exit $status
