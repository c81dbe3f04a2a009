#!/usr/bin/env bash
# Checks that a libvidtemporal.so exports exactly the vt_* functions declared in the header:
# every declared one is a defined global dynamic symbol, and no other global symbol is defined.
# A declaration is a line that starts with a return type and names vt_...( (static inline
# helpers such as vt_tensor are not exported, and comments do not count).
set -euo pipefail
so=$1
header=$(dirname "$0")/../include/vidtemporal.h
declared=$(cat "$header" | grep -v '^static inline' | grep -oE '^[a-z][a-z0-9_ ]*[ *]vt_[a-z0-9_]+\(' \
           | grep -oE 'vt_[a-z0-9_]+' | sort -u)
exported=$(readelf -W --dyn-syms "$so" | awk '$5 == "GLOBAL" && $7 != "UND" {print $8}' | sed 's/@.*//' | sort -u)
if [ "$declared" != "$exported" ]; then
    echo "export check FAILED for $so"
    diff <(echo "$declared") <(echo "$exported") | sed 's/^</  declared, not exported:/; s/^>/  exported, not declared:/'
    exit 1
fi
echo "export check: $so exports exactly the $(echo "$declared" | wc -l) vt_* functions of the header"
