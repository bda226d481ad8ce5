import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Logging
import NIOCore
import Scenario

#if canImport(Glibc)
    import Glibc
#endif

/// Lookup steps: the client's search walk against the cluster DNS server, and their expectations.
extension ReplaySession {
    struct Resolution {
        var walk: SearchWalk?
        var error: String?
        /// IDs of the walk's queries answered from the client's cache (never sent).
        var cachedIDs: Set<UInt16> = []
        var final: DNSMessage? { walk?.exchanges.last?.reply }
        /// Names of the queries that went to the DNS server, in order.
        var sentNames: [String] {
            (walk?.exchanges ?? []).filter { !cachedIDs.contains($0.query.header.id) }.map { $0.name.description.lowercased() }
        }
    }

    /// Resolves through the client's search walk, each query sent to the fake cluster's DNS server
    /// (or the `--dns` server), through the client's cache when it has one.
    mutating func resolve(_ name: String, type: DNSType, transport: DNSClient.Transport = .udp) -> Resolution {
        let conf = resolvConf
        let server: IPv4Address
        let port: Int
        var namespace: NetworkNamespace?
        if let dnsServer {
            server = dnsServer.address
            port = Int(dnsServer.port)
        } else {
            guard let first = conf.nameservers.first else {
                return Resolution(error: "the pod's resolv.conf has no nameserver (dnsPolicy \(clientPod.dnsPolicy.rawValue))")
            }
            guard IPAddress(first) == cluster.network.dnsServiceIP else {
                return Resolution(error: "nameserver \(first) is outside the fake cluster (not contacted)")
            }
            if let topology {
                // from inside the client pod, to the DNS service IP, as the pod's resolver
                guard case .v4(let address) = cluster.network.dnsServiceIP else {
                    return Resolution(error: "the DNS service IP \(cluster.network.dnsServiceIP) is IPv6; the netns plan serves IPv4")
                }
                server = address
                port = 53
                namespace = topology.client
            } else {
                guard let address = runtime?.dnsAddress, let host = address.ipAddress, let ip = IPv4Address(host), let p = address.port else {
                    return Resolution(error: "the fake cluster's DNS server is not running")
                }
                server = ip
                port = p
            }
        }
        var transportError: String?
        var cached: Set<UInt16> = []
        var store = cache
        let now = clock
        let caching = scenario.client.cache
        do {
            let walk = try SearchWalk.walk(name, types: [type], resolvConf: conf, resolver: resolver, firstID: nextQueryID) { query in
                let key = query.questions.first.map { "\($0.name.description.lowercased()) \($0.type)" } ?? ""
                if caching, let entry = store[key], let reply = ReplaySession.fromCache(entry.reply, storedAt: entry.storedAt, now: now, id: query.header.id) {
                    cached.insert(query.header.id)
                    return reply
                }
                do {
                    let reply = try DNSClient.exchange(query, server: server, port: UInt16(port), transport: transport, in: namespace)
                    if caching { store[key] = (reply, now) }
                    return reply
                } catch {
                    // the stub resolver sees a failed query as SERVFAIL (TRY_AGAIN); the report says why
                    transportError = transportError ?? "\(error)"
                    var reply = query
                    reply.header.isResponse = true
                    reply.rcode = .servFail
                    return reply
                }
            }
            cache = store
            timingDetails.append(
                "\(name) \(type): \(walk.exchanges.count - cached.count) quer\(walk.exchanges.count - cached.count == 1 ? "y" : "ies") to \(server):\(port)")
            nextQueryID &+= UInt16(truncatingIfNeeded: walk.exchanges.count)
            return Resolution(walk: walk, error: transportError, cachedIDs: cached)
        } catch {
            return Resolution(error: "\(error)")
        }
    }

    /// A cached reply still fresh at `now` (ms), with TTLs reduced by the seconds it has been
    /// cached, as a caching resolver hands it out; `nil` once expired. Negative replies live for
    /// their SOA's negative TTL (RFC 2308); replies without records are not cached.
    static func fromCache(_ stored: DNSMessage, storedAt: Int, now: Int, id: UInt16) -> DNSMessage? {
        let lifetime: UInt32
        if stored.rcode == .noError, !stored.answers.isEmpty {
            lifetime = stored.answers.map(\.ttl).min() ?? 0
        } else if let soa = stored.authority.first, case .soa(let value) = soa.data {
            lifetime = min(soa.ttl, value.minimum)
        } else {
            return nil
        }
        let elapsed = (now - storedAt) / 1000
        guard elapsed < Int(lifetime) else { return nil }
        var reply = stored
        reply.header.id = id
        let age = UInt32(elapsed)
        for i in reply.answers.indices { reply.answers[i].ttl -= min(age, reply.answers[i].ttl) }
        for i in reply.authority.indices { reply.authority[i].ttl -= min(age, reply.authority[i].ttl) }
        return reply
    }

    /// `queries:` and `noUnexpectedQueries:` over the names a step sent to the DNS server;
    /// `declared` are the names the step itself asks for (besides `searchQueries` and `queries`).
    static func queryChecks(_ expect: Expectations, sent: [String], declared: [String]) -> [Check] {
        var checks: [Check] = []
        let asked = distinct(sent).sorted()
        if let queries = expect.queries {
            let expected = distinct(queries.map(absolute)).sorted()
            checks.append(Check(expectation: "queries", passed: asked == expected, expected: expected, actual: asked))
        }
        if expect.noUnexpectedQueries {
            let allowed = Set(declared.map(absolute) + (expect.searchQueries ?? []).map(absolute) + (expect.queries ?? []).map(absolute))
            let expected = asked.filter(allowed.contains)
            let unexpected = asked.filter { !allowed.contains($0) }
            checks.append(Check(expectation: "noUnexpectedQueries", passed: unexpected.isEmpty, expected: expected, actual: asked))
        }
        return checks
    }

    static func dnsExchange(_ exchange: SearchWalk.Exchange, repeatNumber: Int) -> Exchange {
        let answers = exchange.reply.answers.map(ReplaySession.answerText)
        return .dns(repeat: repeatNumber, question: "\(exchange.name) \(exchange.type)", reply: ([exchange.rcode.description] + answers).joined(separator: " "))
    }

    /// `NAME TYPE RCODE answers…`, with ` (cached)` for a reply from the client's cache and each
    /// answer's TTL when it was cached (the TTL shows the time spent in the cache).
    static func exchangeLine(_ exchange: SearchWalk.Exchange, cached: Bool) -> String {
        let answers = exchange.reply.answers.map { record in cached ? "\(answerText(record)) ttl=\(record.ttl)" : answerText(record) }
        return "\(exchange.name) \(exchange.type) \(exchange.rcode)" + (answers.isEmpty ? "" : " " + answers.joined(separator: " "))
            + (cached ? " (cached)" : "")
    }

    static func answerText(_ record: ResourceRecord) -> String {
        record.data.presentation.lowercased()
    }

    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ").lowercased()
    }

    static func absolute(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? lower : lower + "."
    }

    static func distinct<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }

    mutating func lookupStep(_ step: Step, _ lookup: Step.Lookup, index: Int) -> StepReport {
        var observations: [String] = []
        var resolutions: [Resolution] = []
        for repeatIndex in 1...lookup.repeatCount {
            let resolution = resolve(lookup.name, type: lookup.type, transport: lookup.transport == "tcp" ? .tcp : .udp)
            resolutions.append(resolution)
            let prefix = lookup.repeatCount > 1 ? "[\(repeatIndex)] " : ""
            if let error = resolution.error {
                observations.append(prefix + "error: \(error)")
            }
            for exchange in resolution.walk?.exchanges ?? [] {
                observations.append(prefix + ReplaySession.exchangeLine(exchange, cached: resolution.cachedIDs.contains(exchange.query.header.id)))
            }
        }
        let expect = step.expect
        var checks: [Check] = []
        let rcodes = resolutions.map { $0.final.map { $0.rcode.description } ?? "no reply (\($0.error ?? "?"))" }
        let answerLists = resolutions.map { $0.final?.answers.map(ReplaySession.answerText) ?? [] }
        if let rcode = expect.rcode {
            let actual = ReplaySession.distinct(rcodes)
            checks.append(Check(expectation: "rcode", passed: actual == [rcode.description], expected: [rcode.description], actual: actual))
        }
        if let expected = expect.answers {
            let wanted = expected.map(ReplaySession.normalized)
            let shape: ([String]) -> [String] = { expect.ordered ? $0 : $0.sorted() }
            let failing = answerLists.first { shape($0) != shape(wanted) }
            checks.append(
                Check(
                    expectation: expect.ordered ? "answers (ordered)" : "answers", passed: failing == nil, expected: shape(wanted),
                    actual: shape(failing ?? answerLists.first ?? [])))
        }
        if let count = expect.count {
            let actual = ReplaySession.distinct(answerLists.map { String($0.count) })
            checks.append(Check(expectation: "count", passed: actual == [String(count)], expected: [String(count)], actual: actual))
        }
        if let rotates = expect.rotates {
            let orders = Set(answerLists).count
            observations.append("\(orders) distinct answer order\(orders == 1 ? "" : "s") in \(answerLists.count) repeat\(answerLists.count == 1 ? "" : "s")")
            let actual = orders > 1
            checks.append(Check(expectation: "rotates", passed: actual == rotates, expected: ["rotates: \(rotates)"], actual: ["rotates: \(actual)"]))
        }
        let finals = resolutions.map { $0.final?.answers ?? [] }
        if let ttl = expect.ttl {
            let actual = ReplaySession.distinct(finals.flatMap { $0.map { String($0.ttl) } })
            checks.append(Check(expectation: "ttl", passed: actual == [String(ttl)], expected: [String(ttl)], actual: actual))
        }
        if let cname = expect.cname {
            let expected = cname.map(ReplaySession.absolute)
            let targets = finals.map { records in
                records.compactMap { record -> String? in
                    if case .cname(let target) = record.data { return target.description.lowercased() }
                    return nil
                }
            }
            let failing = targets.first { $0 != expected }
            checks.append(Check(expectation: "cname", passed: failing == nil, expected: expected, actual: failing ?? targets.first ?? []))
        }
        if let srv = expect.srv {
            let expected = srv.map(ReplaySession.absolute).sorted()
            let targets = finals.map { records in
                records.compactMap { record -> String? in
                    if case .srv(let value) = record.data { return value.target.description.lowercased() }
                    return nil
                }.sorted()
            }
            let failing = targets.first { $0 != expected }
            checks.append(Check(expectation: "srv", passed: failing == nil, expected: expected, actual: failing ?? targets.first ?? []))
        }
        if let searchQueries = expect.searchQueries {
            let expected = searchQueries.map(ReplaySession.absolute)
            let actual = (resolutions.first?.walk?.exchanges ?? []).filter { $0.rcode == .nxDomain }.map { $0.name.description.lowercased() }
            checks.append(Check(expectation: "searchQueries", passed: actual == expected, expected: expected, actual: actual))
        }
        let declared = [lookup.name] + resolutions.compactMap { $0.walk?.finalName?.description }
        checks += ReplaySession.queryChecks(expect, sent: resolutions.flatMap(\.sentNames), declared: declared)
        var report = StepReport(index: index, name: step.name, kind: step.kind, line: step.location.line, observations: observations, checks: checks)
        report.capturedValue = answerLists.first?.first
        for (offset, resolution) in resolutions.enumerated() {
            for exchange in resolution.walk?.exchanges ?? [] {
                report.exchanges.append(ReplaySession.dnsExchange(exchange, repeatNumber: offset + 1))
            }
        }
        return report
    }

}
