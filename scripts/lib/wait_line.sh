# SPDX-License-Identifier: Apache-2.0
# Sourced by the load scripts (scripts/load.sh, scripts/load_instructions.sh).
# wait_line FILE PREFIX [SECONDS]: prints the rest of the first line of FILE that starts with
# "PREFIX ", waiting up to SECONDS (default 10) for it to appear; fails with a message if not.
wait_line() {
  local seconds="${3:-10}" v
  for _ in $(seq 1 $((seconds * 20))); do
    v="$(sed -n "s/^$2 //p" "$1" | head -n1)"
    [ -n "$v" ] && { echo "$v"; return 0; }
    sleep 0.05
  done
  echo "$(basename "$0"): no '$2' line in $1" >&2
  return 1
}
