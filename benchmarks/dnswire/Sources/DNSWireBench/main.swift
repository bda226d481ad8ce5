import DNSWire
import NIOCore

// Decode and encode throughput of typical cluster DNS responses. Prints one line per case:
//   swift <case> <op> <ns per message> <iterations>
// and, with --messages, the hex of each case so that the dnspython side measures the same octets.

/// The 4-record headless answer CoreDNS gives for quote-headless (pod IPs in endpoint order).
func headlessAnswer() throws -> DNSMessage {
    let name = try DNSName("quote-headless.kiada.svc.cluster.local.")
    var message = DNSMessage(
        header: DNSHeader(id: 0x4b1d, isResponse: true, authoritative: true, recursionDesired: true),
        questions: [DNSQuestion(name: name, type: .a)])
    for text in ["10.244.2.9", "10.244.2.10", "10.244.2.8", "10.244.1.10"] {
        guard let address = IPv4Address(text) else { fatalError("bad address \(text)") }
        message.answers.append(ResourceRecord(name: name, ttl: 5, data: .a(address)))
    }
    return message
}

/// NXDOMAIN for a search-path expansion, with the CoreDNS SOA in the authority section.
func nxdomain() throws -> DNSMessage {
    var message = DNSMessage(
        header: DNSHeader(id: 0x1234, isResponse: true, authoritative: true, recursionDesired: true, rcodeLow: 3),
        questions: [DNSQuestion(name: try DNSName("quote-headless.kiada.svc.cluster.local.kiada.svc.cluster.local."), type: .a)])
    message.authority = try ZoneFileParser().parse(
        "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5")
    return message
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xf)]] })
}

/// Best of `rounds` timed runs of `iterations` calls, in nanoseconds per call.
func measure(iterations: Int, rounds: Int = 5, _ body: () throws -> Int) rethrows -> Double {
    let clock = ContinuousClock()
    var best = Double.infinity
    var sink = 0
    for _ in 0..<rounds {
        let start = clock.now
        for _ in 0..<iterations { sink &+= try body() }
        let elapsed = clock.now - start
        let (seconds, attoseconds) = elapsed.components
        let ns = (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(iterations)
        best = min(best, ns)
    }
    if sink == 42 { print("") }  // keeps the work observable
    return best
}

let arguments = CommandLine.arguments.dropFirst()
let iterations = arguments.first { $0.hasPrefix("--iterations=") }.flatMap { Int($0.dropFirst("--iterations=".count)) } ?? 1_000_000
let cases: [(String, DNSMessage)] = [("headless-answer", try headlessAnswer()), ("nxdomain-soa", try nxdomain())]

if arguments.contains("--messages") {
    for (name, message) in cases { print(name, hex(try message.wireBytes())) }
} else {
    for (name, message) in cases {
        let wire = try message.wireBytes()
        let roundTrip = try DNSMessage(wireFormat: wire)
        precondition(roundTrip == message, "\(name) does not round-trip")
        let buffer = ByteBuffer(bytes: wire)
        let decode = try measure(iterations: iterations) {
            let decoded = try DNSMessage(wireFormat: buffer)
            return decoded.answers.count &+ decoded.authority.count
        }
        print("swift", name, "decode", String(decode), iterations)
        var out = ByteBufferAllocator().buffer(capacity: 512)
        let encode = try measure(iterations: iterations) {
            out.clear()
            try message.write(into: &out)
            return out.readableBytes
        }
        print("swift", name, "encode", String(encode), iterations)
        let decodeArray = try measure(iterations: iterations) {
            let decoded = try DNSMessage(wireFormat: wire)
            return decoded.answers.count
        }
        print("swift", name, "decode-from-array", String(decodeArray), iterations)
        let encodeFresh = try measure(iterations: iterations / 2) { try message.wireBytes().count }
        print("swift", name, "encode-to-new-array", String(encodeFresh), iterations / 2)
    }
}
