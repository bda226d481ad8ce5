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
        var final: DNSMessage? { walk?.exchanges.last?.reply }
    }

    /// Resolves through the client's search walk, each query sent to the fake cluster's DNS server.
    mutating func resolve(_ name: String, type: DNSType, transport: DNSClient.Transport = .udp) -> Resolution {
        let server: IPv4Address
        let port: Int
        if let dnsServer {
            server = dnsServer.address
            port = Int(dnsServer.port)
        } else {
            guard let address = runtime?.dnsAddress, let host = address.ipAddress, let ip = IPv4Address(host), let p = address.port else {
                return Resolution(error: "the fake cluster's DNS server is not running")
            }
            server = ip
            port = p
        }
        var transportError: String?
        do {
            let walk = try SearchWalk.walk(name, types: [type], resolvConf: resolvConf, resolver: resolver, firstID: nextQueryID) { query in
                do {
                    return try DNSClient.exchange(query, server: server, port: UInt16(port), transport: transport)
                } catch {
                    // the stub resolver sees a failed query as SERVFAIL (TRY_AGAIN); the report says why
                    transportError = transportError ?? "\(error)"
                    var reply = query
                    reply.header.isResponse = true
                    reply.rcode = .servFail
                    return reply
                }
            }
            nextQueryID &+= UInt16(truncatingIfNeeded: walk.exchanges.count)
            return Resolution(walk: walk, error: transportError)
        } catch {
            return Resolution(error: "\(error)")
        }
    }

    static func dnsExchange(_ exchange: SearchWalk.Exchange, repeatNumber: Int) -> Exchange {
        let answers = exchange.reply.answers.map(ReplaySession.answerText)
        return .dns(repeat: repeatNumber, question: "\(exchange.name) \(exchange.type)", reply: ([exchange.rcode.description] + answers).joined(separator: " "))
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
                let answers = exchange.reply.answers.map(ReplaySession.answerText)
                observations.append(
                    prefix + "\(exchange.name) \(exchange.type) \(exchange.rcode)" + (answers.isEmpty ? "" : " " + answers.joined(separator: " ")))
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
