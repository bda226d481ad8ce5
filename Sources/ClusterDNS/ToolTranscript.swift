import DNSWire

/// What BIND's `nslookup NAME` or `dig +search NAME` print inside a pod, computed from a search
/// walk against the cluster DNS, without any network. Text only; the CLI prints it.
public struct ToolTranscript: Sendable {
    /// The tools kubetape imitates (BIND 9.18 as in Debian's dnsutils).
    public enum Tool: String, Hashable, Sendable, CaseIterable {
        case nslookup
        case dig
    }

    /// Every query sent (the walk, then nslookup's AAAA follow-up), in order.
    public var exchanges: [SearchWalk.Exchange]
    /// The tool's standard output.
    public var output: String
    /// The exit status the tool would have (nslookup: 1 when it prints "server can't find").
    /// kubetape uses it for dig too: 0 with an answer or NODATA, 1 when the walk ended in an error rcode.
    public var exitStatus: Int32
    /// The walk, for callers that want the candidates.
    public var walk: SearchWalk

    /// Runs `tool` for `name` (`type` nil: nslookup's default A then AAAA, dig's A) in a pod with
    /// `resolvConf`, asking `ask` as the pod's first nameserver. `serverOnCommandLine` imitates
    /// `nslookup NAME SERVER`, which does not report replies without RA; taken from resolv.conf,
    /// as in a pod, the server's every such reply is reported.
    public static func run(
        _ tool: Tool, name: String, type: DNSType?, resolvConf: ResolvConf, serverOnCommandLine: Bool = false, ask: (DNSMessage) -> DNSMessage
    ) throws -> ToolTranscript {
        let server = resolvConf.nameservers.first ?? "127.0.0.1"
        switch tool {
        case .nslookup:
            return try nslookup(name: name, type: type, resolvConf: resolvConf, server: server, reportsMissingRecursion: !serverOnCommandLine, ask: ask)
        case .dig:
            return try dig(name: name, type: type ?? .a, resolvConf: resolvConf, server: server, ask: ask)
        }
    }

    static func plain(_ name: DNSName) -> String {
        let text = name.description
        return text == "." ? text : String(text.dropLast())
    }

    static func nslookup(name: String, type: DNSType?, resolvConf: ResolvConf, server: String, reportsMissingRecursion: Bool, ask: (DNSMessage) -> DNSMessage)
        throws -> ToolTranscript
    {
        let defaultLookups = type == nil
        let qtype = type ?? .a
        let walk = try SearchWalk.walk(name, types: [qtype], resolvConf: resolvConf, resolver: .bind, ask: ask)
        var exchanges = walk.exchanges
        // BIND nslookup (9.18) with its server from resolv.conf, as in a pod, reports every reply
        // that lacks RA to a recursive query as it arrives (coredns/coredns#2857); with the server
        // given on the command line it does not. Both checked with the real nslookup in tests.
        let recursionWarning = ";; Got recursion not available from \(server)"
        func warnings(_ exchange: SearchWalk.Exchange) -> [String] {
            reportsMissingRecursion && exchange.query.header.recursionDesired && !exchange.reply.header.recursionAvailable ? [recursionWarning] : []
        }
        var lines = walk.exchanges.flatMap(warnings) + ["Server:\t\t\(server)", "Address:\t\(server)#53", ""]
        var status: Int32 = 0
        guard let last = walk.exchanges.last else {
            return ToolTranscript(exchanges: [], output: lines.joined(separator: "\n") + "\n", exitStatus: 1, walk: walk)
        }
        let reply = last.reply
        if reply.rcode != .noError {
            lines.append("** server can't find \(plain(last.name)): \(reply.rcode)")
            status = 1
        } else {
            var aNoAnswer = false
            if !reply.header.authoritative { lines.append("Non-authoritative answer:") }
            if reply.answers.isEmpty {
                if defaultLookups {
                    aNoAnswer = true
                } else {
                    lines.append("*** Can't find \(name): No answer")
                }
            } else {
                lines += section(reply.answers)
            }
            if defaultLookups {
                // nslookup asks AAAA for the end of the A answer's CNAME chain, without searching
                var target = last.name
                var hops = 0
                while hops < 16, let next = reply.answers.first(where: { $0.name == target && $0.type == .cname }), case .cname(let t) = next.data {
                    target = t
                    hops += 1
                }
                let query = DNSMessage.query(id: (last.query.header.id &+ 1), name: target, type: .aaaa, recursionDesired: true)
                let aaaa = SearchWalk.Exchange(query: query, reply: ask(query))
                exchanges.append(aaaa)
                lines += warnings(aaaa)
                if aaaa.reply.rcode != .noError {
                    lines.append("** server can't find \(plain(target)): \(aaaa.reply.rcode)")
                    status = 1
                } else if aaaa.reply.answers.isEmpty {
                    if aNoAnswer { lines.append("*** Can't find \(plain(target)): No answer") }
                } else {
                    // the CNAME was already printed with the A answer
                    let printedCNAMEs = Set(reply.answers.filter { $0.type == .cname }.map { $0.name })
                    lines += section(aaaa.reply.answers.filter { !($0.type == .cname && printedCNAMEs.contains($0.name)) })
                }
            }
        }
        lines.append("")
        return ToolTranscript(exchanges: exchanges, output: lines.joined(separator: "\n") + "\n", exitStatus: status, walk: walk)
    }

    /// nslookup's `printsection` in short form: records grouped by owner and type in order of first appearance.
    static func section(_ records: [ResourceRecord]) -> [String] {
        var groups: [(DNSName, DNSType, [ResourceRecord])] = []
        for record in records {
            if let i = groups.firstIndex(where: { $0.0.isIdentical(to: record.name) && $0.1 == record.type }) {
                groups[i].2.append(record)
            } else {
                groups.append((record.name, record.type, [record]))
            }
        }
        var lines: [String] = []
        for (_, _, group) in groups {
            for record in group {
                let owner = plain(record.name)
                switch record.data {
                case .a(let address):
                    lines.append("Name:\t\(owner)")
                    lines.append("Address: \(address)")
                case .aaaa(let address):
                    lines.append("Name:\t\(owner)")
                    lines.append("Address: \(address)")
                case .soa(let soa):
                    lines.append(owner)
                    lines.append("\torigin = \(plain(soa.mname))")
                    lines.append("\tmail addr = \(plain(soa.rname))")
                    lines.append("\tserial = \(soa.serial)")
                    lines.append("\trefresh = \(soa.refresh)")
                    lines.append("\tretry = \(soa.retry)")
                    lines.append("\texpire = \(soa.expire)")
                    lines.append("\tminimum = \(soa.minimum)")
                default:
                    lines.append("\(owner)\t\(label(for: record.type)) = \(record.data.presentation)")
                }
            }
        }
        return lines
    }

    static func label(for type: DNSType) -> String {
        switch type {
        case .ns: return "nameserver"
        case .cname: return "canonical name"
        case .ptr: return "name"
        case .mx: return "mail exchanger"
        case .txt: return "text"
        case .srv: return "service"
        case .hinfo: return "hinfo"
        default: return "rdata_\(type.rawValue)"
        }
    }

    static func dig(name: String, type: DNSType, resolvConf: ResolvConf, server: String, ask: (DNSMessage) -> DNSMessage) throws -> ToolTranscript {
        // dig 9.18 sends EDNS with a 1232-octet payload size (its cookie is left out for determinism)
        let walk = try SearchWalk.walk(name, types: [type], resolvConf: resolvConf, resolver: .bind, edns: EDNS(udpPayloadSize: 1232), ask: ask)
        var lines = ["", "; <<>> DiG 9.18 (kubetape) <<>> +search \(name)\(type == .a ? "" : " \(type)")", ";; global options: +cmd"]
        var status: Int32 = 0
        if let last = walk.exchanges.last {
            let reply = last.reply
            lines.append(";; Got answer:")
            var body = reply.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if body.last == "" { body.removeLast() }
            if let flags = body.firstIndex(where: { $0.hasPrefix(";; flags:") }), reply.header.recursionDesired, !reply.header.recursionAvailable {
                body.insert(";; WARNING: recursion requested but not available", at: flags + 1)
            }
            if reply.edns != nil, let q = body.firstIndex(of: ";; QUESTION SECTION:"), q > 0, body[q - 1].isEmpty {
                body.remove(at: q - 1)
            }
            lines += body
            lines.append("")
            lines.append(";; SERVER: \(server)#53(\(server)) (UDP)")
            // CoreDNS sends a reply that fits uncompressed (ReplyTruncation)
            let fitted = try? ReplyTruncation.fit(reply, limit: ReplyTruncation.limit(for: last.query))
            let size = fitted.flatMap { try? $0.message.wireBytes(compress: $0.compress).count } ?? 0
            lines.append(";; MSG SIZE  rcvd: \(size)")
            lines.append("")
            if reply.rcode != .noError { status = 1 }
        }
        return ToolTranscript(exchanges: walk.exchanges, output: lines.joined(separator: "\n") + "\n", exitStatus: status, walk: walk)
    }
}
