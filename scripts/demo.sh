#!/usr/bin/env bash
# Sets up the machine, builds kubetape and runs the main demo: the headless-services chapter on the
# embedded fake cluster. Needs root for the network namespaces of `kubetape exec`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product kubetape >&2
K=.build/debug/kubetape
M=scenarios/clusters/kiada

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

banner "1. Offline: what a pod in namespace kiada sends and gets for 'nslookup quote-headless' (no network)"
"$K" resolve quote-headless --from kiada/dns-test --manifests "$M" --ttl 30
banner "   ...and for a name that does not exist: the search walk's NXDOMAINs, then REFUSED outside the zone"
"$K" resolve nosuch --from kiada/dns-test --manifests "$M" --ttl 30 || true

banner "2. The chapter as runnable lessons: every scenario in scenarios/ against the embedded fake cluster (loopback plan)"
"$K" run scenarios

if [[ $(id -u) -ne 0 ]]; then
    echo "The rest of the demo runs unmodified tools inside network namespaces and needs root." >&2
    exit 0
fi

banner "3. Unmodified tools inside pod kiada/dns-test of the fake cluster (kubetape exec)"
"$K" exec --manifests "$M" --ttl 30 -- /bin/sh -c '
    echo "\$ nslookup quote-headless      # headless: one A record per ready pod"
    nslookup quote-headless
    echo "\$ nslookup quote               # cluster IP: one virtual IP"
    nslookup quote
    echo "\$ for i in 1..8; do curl -s http://quote-headless; done     # client dials pod IPs"
    for i in 1 2 3 4 5 6 7 8; do curl -s http://quote-headless; done
    echo "\$ for i in 1..8; do curl -s http://quote; done              # kube-proxy picks a pod per connection"
    for i in 1 2 3 4 5 6 7 8; do curl -s http://quote; done
    echo "\$ curl -v http://quote-headless 2>&1 | grep Connected"
    curl -sv http://quote-headless 2>&1 | grep "Connected to"
    echo "\$ curl -v http://quote 2>&1 | grep Connected"
    curl -sv http://quote 2>&1 | grep "Connected to"
'

banner "4. The same lessons with unmodified programs as scenario steps (exec:, netns plan): scenarios/netns"
"$K" run scenarios/netns
