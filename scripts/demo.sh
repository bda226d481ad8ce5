#!/usr/bin/env bash
# Sets up the machine, builds kubetape and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product kubetape >&2
KUBETAPE=.build/release/kubetape
echo "== A headless-service answer in CoreDNS's shape (AA set, RA clear, TTL 30), decoded by kubetape:"
"$KUBETAPE" decode "$(cat captures/samples/quote-headless-answer.hex)"
