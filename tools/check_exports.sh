#!/usr/bin/env bash
# Checks that a libvidtemporal.so exports exactly the vt_* functions declared in the header:
# every declared one is a defined global dynamic symbol, and no other global symbol is defined.
# (tools/header_functions.sh says which those are.)
set -euo pipefail
so=$1
declared=$("$(dirname "$0")/header_functions.sh")
exported=$(readelf -W --dyn-syms "$so" | awk '$5 == "GLOBAL" && $7 != "UND" {print $8}' | sed 's/@.*//' | sort -u)
if [ "$declared" != "$exported" ]; then
    echo "export check FAILED for $so"
    diff <(echo "$declared") <(echo "$exported") | sed 's/^</  declared, not exported:/; s/^>/  exported, not declared:/'
    exit 1
fi
echo "export check: $so exports exactly the $(echo "$declared" | wc -l) vt_* functions of the header"
