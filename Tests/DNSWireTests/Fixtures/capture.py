#!/usr/bin/env python3
"""Re-records the peer fixtures in this folder: real queries made by dig, kdig and dnspython,
and the answers a tiny dnspython responder gave them, as dig printed them.

Run from anywhere: `python3 Tests/DNSWireTests/Fixtures/capture.py` (needs dig, kdig, dnspython).

The responder is authoritative-only, listens on 127.0.0.1 on a port the kernel picks, never
recurses or forwards, and stops when the script ends. For every case it writes
  <case>.query.hex     the query octets exactly as the client sent them
  <case>.response.hex  the response octets exactly as the responder sent them
  <case>.dig           dig's printed output for that response (dig cases only)
Each .hex file starts with `#` lines that say who made the octets and how.
Query IDs and EDNS cookies are random, so a re-recording differs in those octets only.
"""

import os
import socket
import subprocess
import sys
import threading

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.version

HERE = os.path.dirname(os.path.abspath(__file__))

# The zone the responder serves: owner (lowercase) -> type -> list of (ttl, rdata text).
SOA_TEXT = "ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5"
ZONE = {
    "quote-headless.kiada.svc.cluster.local.": {
        "A": [(5, "10.244.2.9"), (5, "10.244.2.10"), (5, "10.244.2.8"), (5, "10.244.1.10")],
    },
    "_http._tcp.quote-headless.kiada.svc.cluster.local.": {
        "SRV": [
            (5, "0 50 80 10-244-2-9.quote-headless.kiada.svc.cluster.local."),
            (5, "0 50 80 10-244-1-10.quote-headless.kiada.svc.cluster.local."),
        ],
    },
    "quote.kiada.svc.cluster.local.": {
        "A": [(30, "10.96.161.97")],
        "AAAA": [(30, "fd00:10:96::a1"), (30, "::ffff:10.96.161.97")],
    },
    "alias.kiada.svc.cluster.local.": {"CNAME": [(30, "quote.kiada.svc.cluster.local.")]},
    "9.2.244.10.in-addr.arpa.": {"PTR": [(5, "10-244-2-9.quote-headless.kiada.svc.cluster.local.")]},
    "txt.kiada.svc.cluster.local.": {"TXT": [(60, '"v=kubetape1" "hello world" "say \\"hi\\"" "semi;colon" "\\200\\001"')]},
    "mx.kiada.svc.cluster.local.": {"MX": [(60, "10 mail.kiada.svc.cluster.local."), (60, "20 Mail2.Kiada.svc.cluster.local.")]},
    "cluster.local.": {"NS": [(5, "ns.dns.cluster.local.")], "SOA": [(5, SOA_TEXT)]},
    "opaque.kiada.svc.cluster.local.": {"TYPE65280": [(5, "\\# 6 0102DEADBEEF")]},
    "we\\.ird\\032label.kiada.svc.cluster.local.": {"A": [(5, "10.244.0.1")]},
}
ADDITIONAL_FOR_SRV = {
    "10-244-2-9.quote-headless.kiada.svc.cluster.local.": "10.244.2.9",
    "10-244-1-10.quote-headless.kiada.svc.cluster.local.": "10.244.1.10",
}
CLUSTER = dns.name.from_text("cluster.local.")


def answer(query: dns.message.Message) -> dns.message.Message:
    """Builds the authoritative response the way CoreDNS would for this small zone."""
    if query.edns > 0:
        response = dns.message.make_response(query)
        response.use_edns(0, 0, 1232)
        response.set_rcode(dns.rcode.BADVERS)
        return response
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    response.flags &= ~dns.flags.RA
    if query.edns >= 0:
        options = []
        if any(o.otype == dns.edns.NSID for o in query.options):
            options.append(dns.edns.GenericOption(dns.edns.NSID, b"kubetape-fixture"))
        response.use_edns(0, 0, 1232, options=options)
    question = query.question[0]
    owner = question.name
    key = owner.to_text().lower()
    key = dns.name.from_text(key).to_text()
    node = ZONE.get(key)
    wanted = dns.rdatatype.to_text(question.rdtype)
    if node is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif wanted in node or ("CNAME" in node):
        kind = wanted if wanted in node else "CNAME"
        rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.from_text(kind))
        for ttl, text in node[kind]:
            rrset.add(dns.rdata.from_text(dns.rdataclass.IN, rrset.rdtype, text), ttl)
        response.answer.append(rrset)
        if kind == "CNAME":
            target = dns.name.from_text(node["CNAME"][0][1])
            for ttl, text in ZONE[target.to_text()].get(wanted, []):
                response.find_rrset(response.answer, target, dns.rdataclass.IN, question.rdtype, create=True).add(
                    dns.rdata.from_text(dns.rdataclass.IN, question.rdtype, text), ttl
                )
        if kind == "SRV":
            for target, address in ADDITIONAL_FOR_SRV.items():
                rrset = dns.rrset.from_text(target, 5, "IN", "A", address)
                response.additional.append(rrset)
        return response
    soa = dns.rrset.from_text(CLUSTER, 5, "IN", "SOA", SOA_TEXT)
    response.authority.append(soa)
    return response


class Responder:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.exchanges = []
        self.stopped = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                wire, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            query = dns.message.from_wire(wire)
            reply = answer(query).to_wire()
            self.exchanges.append((wire, reply))
            self.sock.sendto(reply, peer)

    def stop(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


def write_hex(path, comment_lines, data):
    with open(path, "w") as f:
        for line in comment_lines:
            f.write("# " + line + "\n")
        for i in range(0, len(data), 32):
            f.write(data[i : i + 32].hex() + "\n")


def tool_version(argv):
    out = subprocess.run(argv, capture_output=True, text=True)
    return (out.stdout + out.stderr).strip().splitlines()[0]


# (case, client, argv after the server/port options, or a dnspython query)
DIG_CASES = [
    ("dig-headless-a", ["+nocookie", "quote-headless.kiada.svc.cluster.local", "A"]),
    ("dig-nxdomain", ["+nocookie", "nope.kiada.svc.cluster.local", "A"]),
    ("dig-srv", ["+nocookie", "_http._tcp.quote-headless.kiada.svc.cluster.local", "SRV"]),
    ("dig-aaaa", ["+nocookie", "quote.kiada.svc.cluster.local", "AAAA"]),
    ("dig-cname", ["+nocookie", "alias.kiada.svc.cluster.local", "A"]),
    ("dig-ptr", ["+nocookie", "-x", "10.244.2.9"]),
    ("dig-txt", ["+nocookie", "txt.kiada.svc.cluster.local", "TXT"]),
    ("dig-mx", ["+nocookie", "mx.kiada.svc.cluster.local", "MX"]),
    ("dig-ns", ["+nocookie", "cluster.local", "NS"]),
    ("dig-soa", ["+nocookie", "cluster.local", "SOA"]),
    ("dig-unknown-type", ["+nocookie", "opaque.kiada.svc.cluster.local", "TYPE65280"]),
    ("dig-mixed-case", ["+nocookie", "QuOtE-HeAdLeSs.Kiada.SVC.cluster.local", "A"]),
    ("dig-escaped-name", ["+nocookie", "we\\.ird\\032label.kiada.svc.cluster.local", "A"]),
    ("dig-cookie-nsid-do", ["+cookie", "+nsid", "+dnssec", "quote.kiada.svc.cluster.local", "A"]),
    ("dig-badvers", ["+nocookie", "+edns=1", "+noednsneg", "quote.kiada.svc.cluster.local", "A"]),
    ("dig-noedns", ["+noedns", "quote-headless.kiada.svc.cluster.local", "A"]),
]
KDIG_CASES = [
    ("kdig-headless-a", ["quote-headless.kiada.svc.cluster.local", "A"]),
    ("kdig-srv-edns", ["+edns", "+nsid", "_http._tcp.quote-headless.kiada.svc.cluster.local", "SRV"]),
]


def main():
    responder = Responder()
    port = str(responder.port)
    dig_version = tool_version(["dig", "-v"])
    kdig_version = tool_version(["kdig", "--version"])
    written = []
    try:
        for case, args in DIG_CASES:
            before = len(responder.exchanges)
            argv = ["dig", "@127.0.0.1", "-p", port, "+norecurse", "+tries=1", "+time=2"] + args
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            query, reply = responder.exchanges[before]
            shown = " ".join(a if a != port else "PORT" for a in argv)
            write_hex(os.path.join(HERE, case + ".query.hex"), [f"query sent by {dig_version}", f"command: {shown}"], query)
            write_hex(os.path.join(HERE, case + ".response.hex"), [f"response made by dnspython {dns.version.version} (capture.py) to {case}.query.hex"], reply)
            with open(os.path.join(HERE, case + ".dig"), "w") as f:
                f.write(out.replace(port, "PORT"))
            written.append(case)
        for case, args in KDIG_CASES:
            before = len(responder.exchanges)
            argv = ["kdig", "@127.0.0.1", "-p", port, "+norecurse", "+retry=0", "+time=2"] + args
            subprocess.run(argv, capture_output=True, text=True, check=True)
            query, reply = responder.exchanges[before]
            shown = " ".join(a if a != port else "PORT" for a in argv)
            write_hex(os.path.join(HERE, case + ".query.hex"), [f"query sent by {kdig_version}", f"command: {shown}"], query)
            write_hex(os.path.join(HERE, case + ".response.hex"), [f"response made by dnspython {dns.version.version} (capture.py) to {case}.query.hex"], reply)
            written.append(case)
        python_queries = [
            ("dnspython-plain", dns.message.make_query("quote-headless.kiada.svc.cluster.local.", "A", use_edns=False),
             'dns.message.make_query("quote-headless.kiada.svc.cluster.local.", "A", use_edns=False)'),
            ("dnspython-edns-ecs-do",
             dns.message.make_query("_http._tcp.quote-headless.kiada.svc.cluster.local.", "SRV", use_edns=0, want_dnssec=True, payload=4096,
                                    options=[dns.edns.ECSOption("10.244.2.0", 24), dns.edns.GenericOption(dns.edns.NSID, b"")]),
             'make_query("_http._tcp.quote-headless.kiada.svc.cluster.local.", "SRV", use_edns=0, want_dnssec=True, payload=4096, options=[ECS 10.244.2.0/24, NSID])'),
            ("dnspython-mx-mixed-case", dns.message.make_query("MX.Kiada.svc.Cluster.Local.", "MX", use_edns=0),
             'dns.message.make_query("MX.Kiada.svc.Cluster.Local.", "MX", use_edns=0)'),
        ]
        for case, query_message, how in python_queries:
            before = len(responder.exchanges)
            dns.query.udp(query_message, "127.0.0.1", port=responder.port, timeout=2)
            query, reply = responder.exchanges[before]
            write_hex(os.path.join(HERE, case + ".query.hex"), [f"query made by dnspython {dns.version.version}: {how}"], query)
            write_hex(os.path.join(HERE, case + ".response.hex"), [f"response made by dnspython {dns.version.version} (capture.py) to {case}.query.hex"], reply)
            written.append(case)
    finally:
        responder.stop()
    print("\n".join(written))


if __name__ == "__main__":
    sys.exit(main())
