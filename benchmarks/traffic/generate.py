#!/usr/bin/env python3
"""Writes the Traffic benchmark captures (classic pcap, Ethernet, microsecond timestamps).

  generate.py dns  FILE [PACKETS]    DNS over UDP: query/response pairs (default 1,000,000 packets)
  generate.py http FILE [EXCHANGES]  HTTP/1.1 keep-alive: 10 exchanges per connection (default 100,000)

Deterministic (seeded), standard library only. Names look like a Kubernetes cluster's:
<svc>.<ns>.svc.cluster.local, with search-path NXDOMAINs, A answers and AAAA.
"""
import random
import struct
import sys

ETH = b"\x02\x42\xac\x11\x00\x02" + b"\x02\x42\xac\x11\x00\x03" + b"\x08\x00"


def checksum_free_ipv4(src, dst, proto, payload, ident):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst) + payload


def ip(a, b, c, d):
    return bytes((a, b, c, d))


def encode_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes((len(label),)) + label.encode()
    return out + b"\x00"


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.count = 0

    def write(self, usec, frame):
        self.f.write(struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)) + frame)
        self.count += 1

    def close(self):
        self.f.close()


def dns(path, packets):
    rng = random.Random(1126)
    pcap = Pcap(path)
    services = [f"svc-{i}" for i in range(500)]
    suffixes = [".ns-{}.svc.cluster.local", ".svc.cluster.local", ".cluster.local", ""]
    server = ip(10, 96, 0, 10)
    usec = 1_764_000_000_000_000
    pairs = packets // 2
    for i in range(pairs):
        client = ip(10, 244, (i >> 8) & 0x3F, i & 0xFF or 1)
        sport = 32768 + (i % 28000)
        qid = rng.randrange(65536)
        svc = services[i % len(services)]
        step = i % 4
        name = svc + suffixes[step].format(i % 17)
        qtype = 28 if i % 5 == 0 else 1
        question = encode_name(name) + struct.pack("!HH", qtype, 1)
        query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question
        nx = step < 2 and not name.endswith("svc.cluster.local")
        if nx or step == 3:
            rcode = 3
            answers = b""
            ancount = 0
            nscount = 1
            authority = b"\xc0\x0c" if False else encode_name("cluster.local") + struct.pack("!HHIH", 6, 1, 30, 0)
            soa = encode_name("ns.dns.cluster.local") + encode_name("hostmaster.cluster.local") + struct.pack("!IIIII", 1764000000, 7200, 1800, 86400, 30)
            authority = authority[:-2] + struct.pack("!H", len(soa)) + soa
        else:
            rcode = 0
            ancount = 1 + (i % 3)
            nscount = 0
            authority = b""
            answers = b""
            for k in range(ancount):
                if qtype == 1:
                    answers += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + ip(10, 244, k + 1, (i + k) & 0xFF)
                else:
                    answers += b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 5, 16) + bytes.fromhex("fd00000000000000000000000a0a") + struct.pack("!H", (i + k) & 0xFFFF)
        response = struct.pack("!HHHHHH", qid, 0x8580 | rcode, 1, ancount, nscount, 0) + question + answers + authority
        q_udp = struct.pack("!HHHH", sport, 53, 8 + len(query), 0) + query
        r_udp = struct.pack("!HHHH", 53, sport, 8 + len(response), 0) + response
        pcap.write(usec, ETH + checksum_free_ipv4(client, server, 17, q_udp, i))
        usec += 40 + rng.randrange(200)
        pcap.write(usec, ETH + checksum_free_ipv4(server, client, 17, r_udp, i + 7))
        usec += 10 + rng.randrange(50)
    pcap.close()
    return pcap.count


def http(path, exchanges):
    rng = random.Random(1127)
    pcap = Pcap(path)
    usec = 1_764_000_000_000_000
    per_connection = 10
    connections = exchanges // per_connection
    ident = 0

    def seg(src, dst, sport, dport, seq, ack, flags, payload=b""):
        nonlocal ident, usec
        ident += 1
        usec += 20 + rng.randrange(80)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0) + payload
        pcap.write(usec, ETH + checksum_free_ipv4(src, dst, 6, tcp, ident))

    for c in range(connections):
        client = ip(10, 244, 3, 1 + c % 250)
        server = ip(10, 244, 2, 8 + c % 3)
        sport = 20000 + (c % 40000)
        cs, ss = rng.randrange(1 << 32), rng.randrange(1 << 32)
        seg(client, server, sport, 80, cs, 0, 0x02)
        seg(server, client, 80, sport, ss, cs + 1, 0x12)
        cs += 1
        ss += 1
        seg(client, server, sport, 80, cs, ss, 0x10)
        for e in range(per_connection):
            pod = f"quote-{(c + e) % 3:03d}"
            request = (f"GET /quote?n={e} HTTP/1.1\r\nHost: quote.kiada.svc.cluster.local\r\n"
                       f"User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n").encode()
            body = f"This is the quote service running in pod {pod}\n".encode()
            if e % 4 == 3:
                chunks = body[:20], body[20:]
                payload = b"".join(b"%x\r\n%s\r\n" % (len(x), x) for x in chunks) + b"0\r\n\r\n"
                response = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + payload
            else:
                response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
            seg(client, server, sport, 80, cs, ss, 0x18, request)
            cs += len(request)
            seg(server, client, 80, sport, ss, cs, 0x18, response)
            ss += len(response)
            seg(client, server, sport, 80, cs, ss, 0x10)
        seg(client, server, sport, 80, cs, ss, 0x11)
        cs += 1
        seg(server, client, 80, sport, ss, cs, 0x11)
        ss += 1
        seg(client, server, sport, 80, cs, ss, 0x10)
    pcap.close()
    return pcap.count


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "dns":
        n = dns(path, int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000)
    elif kind == "http":
        n = http(path, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
    else:
        sys.exit("usage: generate.py dns|http FILE [COUNT]")
    print(f"{path}: {n} packets")
