#!/usr/bin/env bash
# Installs what kubetape needs to build, run its demo and pass its tests on Debian, as root.
# Idempotent and fast when everything is already there.
set -euo pipefail

APT_PACKAGES=(
    libpcap-dev      # CPcap: live capture, classic pcap reading
    dnsutils         # dig, nslookup (integration tests, peer vectors)
    knot-dnsutils    # kdig (peer vectors)
    tshark           # decoder oracle, pcap validation, benchmarks
    tcpdump          # pcap validation, benchmarks
    dnsperf          # DNS benchmark
    unbound          # peer DNS server for benchmarks (authoritative-only, loopback)
    iproute2         # network namespaces
    curl             # HTTP client tests
    libc-bin         # getent
    python3          # dnspython peer
    python3-pip
    python3-jsonschema  # SchemaTests: docs/schemas (draft 2020-12)
    python3-yaml        # SchemaTests: scenarios read as YAML
    time             # /usr/bin/time -v for peak memory in benchmarks
    wrk              # HTTP load for benchmarks
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no without a prompt
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# dnspython for the peer-vector tests, for whichever python3 is first on PATH
if ! python3 -c 'import dns.message' 2>/dev/null; then
    echo "setup: installing dnspython" >&2
    python3 -m pip install -q dnspython 2>/dev/null || python3 -m pip install -q --break-system-packages dnspython
fi

# jsonschema and yaml for SchemaTests, when the python3 first on PATH is not Debian's
if ! python3 -c 'import jsonschema, yaml; jsonschema.Draft202012Validator' 2>/dev/null; then
    echo "setup: installing jsonschema and PyYAML" >&2
    python3 -m pip install -q jsonschema PyYAML 2>/dev/null || python3 -m pip install -q --break-system-packages jsonschema PyYAML
fi

if ! command -v swift >/dev/null; then
    echo "setup: Swift 6 toolchain not found on PATH (expected at /opt/swift/usr/bin)" >&2
    exit 1
fi
