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

/// HTTP steps: fetch as curl would (resolve, connect to the first address) and their expectations.
extension ReplaySession {
    struct Fetch {
        var address: IPAddress?
        var pod: String?
        var response: HTTPFetcher.Response?
        var failure: String?
        var dns: [SearchWalk.Exchange] = []
        /// The walk's final name and the names sent to the server.
        var finalName: String?
        var sentNames: [String] = []
    }

    /// A keep-alive connection kept across the repeats of a step (`newConnectionEachTime: false`).
    struct KeptConnection {
        var connection: HTTPFetcher.Connection
        var address: IPAddress
        var pod: String?
    }

    mutating func fetch(_ request: Step.HTTPFetch, kept: inout KeptConnection?) async throws -> (Fetch, [String]) {
        var observations: [String] = []
        var result = Fetch()
        if let current = kept {
            // the pooled connection: no lookup, the same peer, the same pod behind it
            result.address = current.address
            result.pod = current.pod
            do {
                result.response = try current.connection.get(host: request.host, path: request.path, keepAlive: true)
            } catch {
                result.failure = error.description
                kept = nil
            }
            return (result, ["reused the connection to \(current.address):\(request.port)"])
        }
        let address: IPAddress
        if let literal = IPAddress(request.host) {
            address = literal
        } else {
            let resolution = resolve(request.host, type: .a)
            result.dns = resolution.walk?.exchanges ?? []
            result.finalName = resolution.walk?.finalName?.description
            result.sentNames = resolution.sentNames
            for exchange in resolution.walk?.exchanges ?? [] {
                observations.append("dns " + ReplaySession.exchangeLine(exchange, cached: resolution.cachedIDs.contains(exchange.query.header.id)))
            }
            let first = resolution.final?.answers.lazy.compactMap { record -> IPAddress? in
                if case .a(let v4) = record.data { return .v4(v4) }
                return nil
            }.first
            guard let first else {
                result.failure =
                    "could not resolve host \(request.host)" + (resolution.final.map { " (\($0.rcode))" } ?? resolution.error.map { " (\($0))" } ?? "")
                return (result, observations)
            }
            address = first
        }
        result.address = address
        guard let runtime else { throw ReplayError("\(scenario.displayPath): the fake cluster is not running") }
        let target: IPv4Address
        let port: UInt16
        var namespace: NetworkNamespace?
        if let topology {
            // netns plan: from inside the client pod to the cluster's real address
            guard case .v4(let v4) = address else {
                result.failure = "\(address) is IPv6; the netns plan serves IPv4"
                return (result, observations)
            }
            target = v4
            port = request.port
            namespace = topology.client
        } else {
            guard let loopback = runtime.addressPlan.loopback(for: address) else {
                let inCluster = (cluster.network.podCIDRs + cluster.network.serviceCIDRs).contains { $0.contains(address) }
                result.failure =
                    inCluster
                    ? "no pod or service has \(address) (any more): the connection fails" : "\(address) is outside the fake cluster (not contacted)"
                return (result, observations)
            }
            target = loopback
            port = runtime.addressPlan.loopbackPort(for: request.port)
        }
        // the connection log is written when a listener accepts, before any byte of the reply
        // exists (the request log is written while the reply is already on its way, so it can lag)
        let before = runtime.log.connections.count
        do {
            if request.newConnectionEachTime {
                result.response = try HTTPFetcher.get(address: target, port: port, host: request.host, path: request.path, in: namespace)
            } else {
                let connection = try HTTPFetcher.Connection(address: target, port: port, in: namespace)
                result.response = try connection.get(host: request.host, path: request.path, keepAlive: true)
                kept = KeptConnection(connection: connection, address: address)
            }
        } catch {
            result.failure = error.description
        }
        if result.response != nil {
            // the client's own connection is the first one accepted after `before`: a forwarded one
            // (backend = the pod kube-proxy chose) or one straight to a pod
            let accepted = runtime.log.connections.dropFirst(before).first
            result.pod = accepted?.backend
            kept?.pod = result.pod
            timingDetails.append("GET \(request.url): \(accepted?.client ?? "?") → \(target):\(port)")
        }
        return (result, observations)
    }

    mutating func httpStep(_ step: Step, _ request: Step.HTTPFetch, index: Int) async throws -> StepReport {
        var observations: [String] = []
        var fetches: [Fetch] = []
        var kept: KeptConnection?
        for repeatIndex in 1...request.repeatCount {
            let (result, dns) = try await fetch(request, kept: &kept)
            let prefix = request.repeatCount > 1 ? "[\(repeatIndex)] " : ""
            observations += dns.map { prefix + $0 }
            var line = prefix + "GET \(request.url)"
            if let address = result.address { line += " → \(address):\(request.port)" }
            if let pod = result.pod { line += " served by \(pod)" }
            if let response = result.response { line += " → \(response.status)" }
            if let failure = result.failure { line += ": \(failure)" }
            observations.append(line)
            fetches.append(result)
        }
        var counts: [String: Int] = [:]
        for pod in fetches.compactMap(\.pod) { counts[pod, default: 0] += 1 }
        let distribution = counts.keys.sorted().map { (pod: $0, count: counts[$0] ?? 0) }
        let expect = step.expect
        var checks: [Check] = []
        checks += servingChecks(expect, addresses: fetches.compactMap(\.address), names: fetches.compactMap(\.finalName), counts: counts)
        if let searchQueries = expect.searchQueries {
            let expected = searchQueries.map(ReplaySession.absolute)
            let actual = (fetches.first?.dns ?? []).filter { $0.rcode == .nxDomain }.map { $0.name.description.lowercased() }
            checks.append(Check(expectation: "searchQueries", passed: actual == expected, expected: expected, actual: actual))
        }
        checks += ReplaySession.queryChecks(expect, sent: fetches.flatMap(\.sentNames), declared: [request.host] + fetches.compactMap(\.finalName))
        if let status = expect.status {
            let actual = ReplaySession.distinct(fetches.map { $0.response.map { String($0.status) } ?? "no response: \($0.failure ?? "?")" })
            checks.append(Check(expectation: "status", passed: actual == [String(status)], expected: [String(status)], actual: actual))
        }
        if let body = expect.body {
            let bodies = fetches.map { $0.response?.body }
            let matches: (String?) -> Bool = { text in
                guard let text else { return false }
                switch body {
                case .text(let wanted): return text == wanted
                case .regex(let pattern): return (try? Regex(pattern).wholeMatch(in: text)) != nil
                }
            }
            let failing = bodies.firstIndex { !matches($0) }
            let shown = failing.map { bodies[$0] } ?? bodies.first ?? nil
            let expectedLine: String
            switch body {
            case .text(let wanted): expectedLine = ReplaySession.escaped(wanted)
            case .regex(let pattern): expectedLine = "regex: \(ReplaySession.escaped(pattern))"
            }
            let actualLine = shown.map(ReplaySession.escaped) ?? "no response"
            checks.append(Check(expectation: "body", passed: failing == nil, expected: [expectedLine], actual: [actualLine]))
        }
        var report = StepReport(
            index: index, name: step.name, kind: step.kind, line: step.location.line, observations: observations, distribution: distribution, checks: checks)
        report.capturedValue = fetches.first?.pod
        for (offset, fetch) in fetches.enumerated() {
            report.exchanges += fetch.dns.map { ReplaySession.dnsExchange($0, repeatNumber: offset + 1) }
            if let address = fetch.address {
                let outcome = fetch.response.map { String($0.status) } ?? fetch.failure ?? "?"
                report.exchanges.append(
                    .http(
                        repeat: offset + 1, request: "GET \(request.url)", destination: "\(address):\(request.port)",
                        viaService: classify(address) == "service IP",
                        pod: fetch.pod, outcome: outcome))
            }
        }
        return report
    }

    /// `connectsTo:`, `servedBy:` and `distribution:` over the addresses a step connected to and
    /// the pods that served it (`namespace/name` → requests).
    /// `names`: the names the step resolved (for `servedBy: all`).
    func servingChecks(_ expect: Expectations, addresses connected: [IPAddress], names: [String], counts: [String: Int]) -> [Check] {
        var checks: [Check] = []
        if let connectsTo = expect.connectsTo {
            let addresses = ReplaySession.distinct(connected).sorted { $0.description < $1.description }
            switch connectsTo {
            case .podIPs, .serviceIP:
                let wanted = connectsTo == .podIPs ? "pod IP" : "service IP"
                let expected = addresses.map { "\($0) \(wanted)" }
                let actual = addresses.map { "\($0) \(classify($0))" }
                checks.append(
                    Check(
                        expectation: "connectsTo", passed: !addresses.isEmpty && expected == actual,
                        expected: expected.isEmpty ? ["a connection to a \(wanted)"] : expected, actual: actual))
            case .addresses(let list):
                let expected = ReplaySession.distinct(list.compactMap { IPAddress($0)?.description }).sorted()
                let actual = addresses.map(\.description)
                checks.append(
                    Check(expectation: "connectsTo", passed: !actual.isEmpty && actual.allSatisfy(expected.contains), expected: expected, actual: actual))
            }
        }
        if let servedBy = expect.servedBy {
            let pods = counts.keys.sorted()
            switch servedBy {
            case .all:
                let services = contactedServices(names: names, addresses: connected)
                let expected = readyPods(of: services)
                let shown = services.map { "\($0.namespace)/\($0.name)" }.joined(separator: ", ")
                checks.append(
                    Check(
                        expectation: "servedBy", passed: !expected.isEmpty && pods == expected,
                        expected: expected.isEmpty ? ["every ready pod of the service (none found\(shown.isEmpty ? "" : " for \(shown)"))"] : expected,
                        actual: pods))
            case .atMost(let n):
                checks.append(
                    Check(
                        expectation: "servedBy", passed: pods.count <= n, expected: ["at most \(n) distinct pod\(n == 1 ? "" : "s")"],
                        actual: ["\(pods.count) distinct pod\(pods.count == 1 ? "" : "s"): \(pods.joined(separator: ", "))"]))
            case .atLeast(let n):
                checks.append(
                    Check(
                        expectation: "servedBy", passed: pods.count >= n, expected: ["at least \(n) distinct pod\(n == 1 ? "" : "s")"],
                        actual: ["\(pods.count) distinct pod\(pods.count == 1 ? "" : "s"): \(pods.joined(separator: ", "))"]))
            case .exactly(let list):
                let expected = ReplaySession.distinct(list.map { $0.contains("/") ? $0 : "\(clientNamespace)/\($0)" }).sorted()
                checks.append(Check(expectation: "servedBy", passed: pods == expected, expected: expected, actual: pods))
            }
        }
        if let bounds = expect.distribution {
            // one line per pod, equal on both sides when the count is within the bounds
            let full = bounds.map { (pod: $0.pod.contains("/") ? $0.pod : "\(clientNamespace)/\($0.pod)", min: $0.min, max: $0.max) }.sorted { $0.pod < $1.pod }
            let expected = full.map { "\($0.pod) served \($0.min)...\($0.max)" }
            let actual = full.map { bound -> String in
                let count = counts[bound.pod] ?? 0
                return (bound.min...bound.max).contains(count) ? "\(bound.pod) served \(bound.min)...\(bound.max)" : "\(bound.pod) served \(count)"
            }
            checks.append(Check(expectation: "distribution", passed: expected == actual, expected: expected, actual: actual))
        }
        return checks
    }

    /// The services a step reached: by a resolved name `SERVICE.NAMESPACE.svc.ZONE.` or by a
    /// dialled cluster IP.
    func contactedServices(names: [String], addresses: [IPAddress]) -> [(namespace: String, name: String)] {
        var found: [(namespace: String, name: String)] = []
        let suffix = ".svc." + dnsOptions.clusterDomain.description.lowercased()
        for name in names.map({ ReplaySession.absolute($0) }) where name.hasSuffix(suffix) {
            let labels = name.dropLast(suffix.count).split(separator: ".")
            guard labels.count == 2 else { continue }
            found.append((namespace: String(labels[1]), name: String(labels[0])))
        }
        for service in cluster.services where service.clusterIPs.contains(where: addresses.contains) {
            found.append((namespace: service.meta.namespace, name: service.meta.name))
        }
        var seen: Set<String> = []
        return found.filter { key in
            seen.insert("\(key.namespace)/\(key.name)").inserted && cluster.services.contains { $0.meta.namespace == key.namespace && $0.meta.name == key.name }
        }
    }

    /// `namespace/name` of every ready endpoint pod of the services, sorted.
    func readyPods(of services: [(namespace: String, name: String)]) -> [String] {
        var pods: Set<String> = []
        for service in services {
            for slice in cluster.endpointSlices where slice.meta.namespace == service.namespace && slice.serviceName == service.name {
                for endpoint in slice.endpoints where endpoint.isReady {
                    if let pod = endpoint.targetPodName { pods.insert("\(service.namespace)/\(pod)") }
                }
            }
        }
        return pods.sorted()
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// What a connected address is in the current cluster.
    func classify(_ address: IPAddress) -> String {
        if cluster.pods.contains(where: { $0.ips.contains(address) }) { return "pod IP" }
        if cluster.services.contains(where: { $0.clusterIPs.contains(address) }) { return "service IP" }
        return "outside the cluster"
    }
}
