#!/usr/bin/env bash
# The vt_* functions include/vidtemporal.h declares, one per line, sorted: a declaration is a line
# that starts with a return type and names vt_...( (static inline helpers such as vt_tensor are
# not exported, and comments do not count).
set -euo pipefail
header=$(dirname "$0")/../include/vidtemporal.h
grep -v '^static inline' "$header" | grep -oE '^[a-z][a-z0-9_ ]*[ *]vt_[a-z0-9_]+\(' | grep -oE 'vt_[a-z0-9_]+' | sort -u
