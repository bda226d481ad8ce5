#!/usr/bin/env bash
# Sets up the machine and runs every check kubetape has: format lint, build, the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests
echo "== swift build"
swift build
echo "== swift test"
swift test
