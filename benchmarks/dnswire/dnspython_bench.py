#!/usr/bin/env python3
"""dnspython side of the DNSWire benchmark: decode (dns.message.from_wire) and encode
(Message.to_wire) of the very octets the Swift side measures, given as `name hex` lines on stdin.
Prints `dnspython <case> <op> <ns per message> <iterations>` lines, best of 5 rounds."""

import sys
import timeit

try:
    import dns.message
    import dns.version
except ImportError:
    sys.exit("dnspython is missing: run scripts/setup.sh")


def best_ns(stmt, seconds=0.4):
    timer = timeit.Timer(stmt)
    number, _ = timer.autorange()
    number = max(1, int(number * seconds / 0.2))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e9, number


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        name, hexwire = line.split()
        wire = bytes.fromhex(hexwire)
        message = dns.message.from_wire(wire)
        assert message.to_wire() is not None
        ns, number = best_ns(lambda: dns.message.from_wire(wire))
        print("dnspython", name, "decode", ns, number)
        ns, number = best_ns(lambda: message.to_wire())
        print("dnspython", name, "encode", ns, number)
    print("dnspython-version", dns.version.version)


if __name__ == "__main__":
    main()
