# shellcheck shell=bash
# Shared by deploy/local/stack and deploy/local/tests/reliability (sourced, not
# run): where the stack's containers and load balancer statistics are. Needs
# PROJECT (the Compose project name) set by the caller.

# The container of a Compose service of the project (running or not), or nothing.
project_container() {
  docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" | head -n 1
}

# The CSV statistics URL of a node, on the loopback port Docker published for
# its port 8405; fails when the node or the port is missing.
node_stats_url() {
  local id address
  id="$(project_container "$1")"
  [[ -n "$id" ]] || return 1
  address="$(docker port "$id" 8405/tcp 2>/dev/null | head -n 1)"
  [[ -n "$address" ]] || return 1
  echo "http://$address/stats;csv"
}

# Prints one column of HAProxy's CSV statistics at a URL for each server of a
# proxy, as "server value" (or the value alone for one named server).
haproxy_stat() {
  local url="$1" proxy="$2" column="$3" server="${4:-}"
  curl -fsS --max-time 2 "$url" 2>/dev/null | awk -F, -v px="$proxy" -v f="$column" -v sv="$server" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["# pxname"] != px || $col["svname"] == "BACKEND" { next }
    sv == "" { print $col["svname"], $col[f]; next }
    $col["svname"] == sv { print $col[f]; exit }'
}
