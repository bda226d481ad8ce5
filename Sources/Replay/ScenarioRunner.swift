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

/// Settings of a replay run.
public struct ReplayOptions: Sendable {
    /// Replaces every scenario's seed (`kubetape run --seed`).
    public var seed: UInt64?
    /// Loopback plan block: pods in 127.<block>.0.0/16, services in 127.<block+1>.0.0/16.
    public var loopbackBlock: UInt8 = 31
    /// Sends every DNS query of the steps to this server instead of the fake cluster's own
    /// (`kubetape run --dns`); loopback only. HTTP still goes to the fake cluster.
    public var dnsServer: DNSServerAddress?
    /// The fake cluster's logger; warnings and above by default, so a run prints only its report.
    public var logger: Logger = {
        var logger = Logger(label: "kubetape.replay")
        logger.logLevel = .warning
        return logger
    }()

    public init() {}
}

/// A DNS server on loopback: address and port.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16

    /// `nil` unless `address` is in 127.0.0.0/8 (kubetape never sends to other addresses).
    public init?(address: IPv4Address, port: UInt16) {
        guard address.octets[0] == 127, port != 0 else { return nil }
        self.address = address
        self.port = port
    }

    /// Parses `ADDRESS:PORT`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let address = IPv4Address(text[..<colon]), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        self.init(address: address, port: port)
    }

    public var description: String { "\(address):\(port)" }
}

/// Runs scenarios, one fresh fake cluster each, and returns reports. Expectations that do not hold
/// become failed checks in the report; only a scenario that cannot run throws ``ReplayError``.
public struct ScenarioRunner: Sendable {
    public var options: ReplayOptions

    /// The seed when neither the scenario nor the options give one.
    public static let defaultSeed: UInt64 = 1

    public init(options: ReplayOptions = ReplayOptions()) {
        self.options = options
    }

    /// Runs every scenario in order.
    public func run(_ scenarios: [Scenario]) async throws -> Report {
        var reports: [ScenarioReport] = []
        for scenario in scenarios {
            reports.append(try await run(scenario))
        }
        return Report(scenarios: reports)
    }

    /// Runs one scenario in its own fake cluster.
    public func run(_ scenario: Scenario) async throws -> ScenarioReport {
        let seed = options.seed ?? scenario.cluster.seed ?? ScenarioRunner.defaultSeed
        var session = try ReplaySession(
            scenario: scenario, seed: seed, loopbackBlock: options.loopbackBlock, logger: options.logger, dnsServer: options.dnsServer)
        var steps: [StepReport] = []
        do {
            try await session.start()
            for (offset, step) in scenario.steps.enumerated() {
                steps.append(try await session.run(step, index: offset + 1))
            }
        } catch {
            await session.shutdown()
            throw error
        }
        await session.shutdown()
        var report = ScenarioReport(name: scenario.name, file: scenario.displayPath, seed: seed, steps: steps)
        report.client = "\(session.clientNamespace)/\(session.clientPod.meta.name)"
        return report
    }
}

/// The state of one scenario's run: the cluster as the steps changed it, the DNS responder (one for
/// the whole run, so the seeded shuffle continues across steps) and the runtime, started on first use.
struct ReplaySession {
    let scenario: Scenario
    let seed: UInt64
    let loopbackBlock: UInt8
    let logger: Logger
    /// `--dns`: the server the queries go to instead of the fake cluster's.
    let dnsServer: DNSServerAddress?
    var cluster: Cluster
    let dnsOptions: ClusterDNSOptions
    let handler: ClusterDNSQueryHandler
    let clientNamespace: String
    let clientPod: Pod
    let resolver: StubResolver
    var runtime: ClusterRuntime?
    var nextQueryID: UInt16 = 1
    /// Manifests added by `apply:` steps, in order.
    var appliedPaths: [String] = []
    /// setReady/deletePod/deleteService so far, redone after an `apply:` reloads the manifests.
    var changes: [Step.Action] = []
    /// Values captured by earlier steps (`capture:`), substituted for `${NAME}`.
    var variables: [String: String] = [:]

    init(scenario: Scenario, seed: UInt64, loopbackBlock: UInt8, logger: Logger, dnsServer: DNSServerAddress?) throws {
        self.logger = logger
        self.dnsServer = dnsServer
        self.scenario = scenario
        self.seed = seed
        self.loopbackBlock = loopbackBlock
        let loader = ManifestLoader(options: ManifestLoader.Options(seed: seed))
        do {
            if let inline = scenario.cluster.inline {
                // a block scalar's text starts on the line after `inline: |`: pad it with that many
                // empty lines so that manifest diagnostics carry the scenario file's line numbers
                let padding = String(repeating: "\n", count: inline.location.line)
                cluster = try loader.load(yaml: padding + inline.yaml, file: scenario.displayPath)
            } else {
                cluster = try loader.load(paths: scenario.cluster.manifests)
            }
        } catch var error as ManifestError {
            if let inline = scenario.cluster.inline {
                // the loader saw the block without its indentation
                for i in error.diagnostics.indices where error.diagnostics[i].location?.file == scenario.displayPath {
                    error.diagnostics[i].location?.column += inline.indentation
                }
            }
            throw ReplayError(error.description)
        }
        var options = ClusterDNSOptions(seed: seed)
        if let ttl = scenario.cluster.ttl { options.ttl = ttl }
        if let pods = scenario.cluster.pods, let mode = ClusterDNSOptions.PodMode(rawValue: pods) { options.pods = mode }
        if let order = scenario.cluster.answerOrder, let value = ClusterDNSOptions.AnswerOrder(rawValue: order) { options.answerOrder = value }
        if !scenario.cluster.zones.isEmpty {
            options.zones = try scenario.cluster.zones.map { zone in
                do {
                    return try ClusterDNSOptions.zone(parsing: zone)
                } catch {
                    throw ReplayError("\(scenario.displayPath): cluster.zones: \(error)")
                }
            }
        }
        dnsOptions = options
        handler = ClusterDNSQueryHandler(responder: ClusterDNSResponder(cluster: cluster, options: options))
        // without client.namespace: the namespace of the manifests' pod of that name, else of the first pod
        let name = scenario.client.name
        let namespace =
            scenario.client.namespace ?? cluster.pods.first { $0.meta.name == name }?.meta.namespace ?? cluster.pods.first?.meta.namespace ?? "default"
        clientNamespace = namespace
        clientPod = cluster.pods.first { $0.meta.namespace == namespace && $0.meta.name == name } ?? Pod(meta: ObjectMeta(name: name, namespace: namespace))
        resolver = StubResolver(rawValue: scenario.client.resolver) ?? .glibc
    }

    var resolvConf: ResolvConf {
        let domain = dnsOptions.clusterDomain.description
        return KubeletDNS(cluster: cluster, clusterDomain: domain.hasSuffix(".") ? String(domain.dropLast()) : domain).resolvConf(for: clientPod).resolvConf
    }

    mutating func shutdown() async {
        if let runtime { await runtime.shutdown() }
        runtime = nil
    }

    /// The step with `${NAME}` replaced by the captured values.
    func expanded(_ step: Step) -> Step {
        guard !variables.isEmpty else { return step }
        var step = step
        let x: (String) -> String = { Step.expand($0, variables) }
        var e = step.expect
        e.answers = e.answers?.map(x)
        e.searchQueries = e.searchQueries?.map(x)
        e.cname = e.cname?.map(x)
        e.srv = e.srv?.map(x)
        if case .addresses(let list) = e.connectsTo { e.connectsTo = .addresses(list.map(x)) }
        if case .exactly(let list) = e.servedBy { e.servedBy = .exactly(list.map(x)) }
        if case .text(let text) = e.body { e.body = .text(x(text)) }
        step.expect = e
        step.name = x(step.name)
        switch step.action {
        case .lookup(var lookup):
            lookup.name = x(lookup.name)
            step.action = .lookup(lookup)
        case .http(let fetch):
            if var parsed = Step.HTTPFetch.parse(x(fetch.url)) {
                parsed.repeatCount = fetch.repeatCount
                step.action = .http(parsed)
            }
        default:
            break
        }
        return step
    }

    mutating func run(_ original: Step, index: Int) async throws -> StepReport {
        let step = expanded(original)
        switch step.action {
        case .lookup(let lookup):
            var report = lookupStep(step, lookup, index: index)
            if let variable = step.capture {
                if let value = report.capturedValue {
                    variables[variable] = value
                    report.observations.append("captured ${\(variable)} = \(value)")
                } else {
                    report.checks.append(
                        Check(expectation: "capture", passed: false, expected: ["an answer to capture as ${\(variable)}"], actual: ["no answer"]))
                }
            }
            return report
        case .http(let fetch):
            return try await httpStep(step, fetch, index: index)
        case .apply(let manifests):
            // reload every manifest so far plus the new ones, then redo the earlier changes
            appliedPaths += manifests.paths
            do {
                cluster = try ManifestLoader(options: ManifestLoader.Options(seed: seed)).load(paths: scenario.cluster.manifests + appliedPaths)
            } catch let error as ManifestError {
                throw ReplayError("\(scenario.displayPath):\(step.location.line):\(step.location.column): apply: \(error.description)")
            }
            for change in changes { _ = try mutate(change) }
            return try await changed(step, index: index, "applied \(manifests.written.joined(separator: " "))")
        case .setReady, .deletePod, .deleteService:
            let what = try mutate(step.action)
            changes.append(step.action)
            return try await changed(step, index: index, what)
        }
    }

    /// Applies a cluster change to `cluster` (without re-deriving) and says what it did.
    mutating func mutate(_ action: Step.Action) throws -> String {
        switch action {
        case .setReady(let reference, let ready):
            let position = try podIndex(reference)
            cluster.pods[position].ready = ready
            let pod = cluster.pods[position]
            return "\(pod.meta.namespace)/\(pod.meta.name) ready=\(ready)"
        case .deletePod(let reference):
            let position = try podIndex(reference)
            let pod = cluster.pods.remove(at: position)
            return "\(pod.meta.namespace)/\(pod.meta.name) deleted"
        case .deleteService(let reference):
            let namespace = reference.namespace ?? clientNamespace
            guard let position = cluster.services.firstIndex(where: { $0.meta.namespace == namespace && $0.meta.name == reference.name }) else {
                let known = cluster.services.filter { $0.meta.namespace == namespace }.map(\.meta.name)
                throw ReplayError(
                    "\(scenario.displayPath):\(reference.location.line):\(reference.location.column): no service \(namespace)/\(reference.name) in the cluster (services in \(namespace): \(known.joined(separator: ", ")))"
                )
            }
            cluster.services.remove(at: position)
            // its slices go with it: the controller's are garbage-collected, mirrored ones deleted
            cluster.endpointSlices.removeAll { $0.meta.namespace == namespace && $0.serviceName == reference.name }
            return "service \(namespace)/\(reference.name) deleted"
        default:
            return ""
        }
    }

    func podIndex(_ reference: PodReference) throws -> Int {
        let namespace = reference.namespace ?? clientNamespace
        guard let position = cluster.pods.firstIndex(where: { $0.meta.namespace == namespace && $0.meta.name == reference.name }) else {
            let known = cluster.pods.filter { $0.meta.namespace == namespace }.map(\.meta.name)
            throw ReplayError(
                "\(scenario.displayPath):\(reference.location.line):\(reference.location.column): no pod \(namespace)/\(reference.name) in the cluster (pods in \(namespace): \(known.joined(separator: ", ")))"
            )
        }
        return position
    }

    /// After a change: re-derive the slices, rebuild the DNS responder, and stop the runtime (its
    /// forwarding table and listeners are fixed at start), which the next http step starts anew.
    mutating func changed(_ step: Step, index: Int, _ what: String) async throws -> StepReport {
        cluster.deriveEndpointSlices()
        handler.replace(with: ClusterDNSResponder(cluster: cluster, options: dnsOptions))
        await shutdown()
        try await start()
        return StepReport(index: index, name: step.name, kind: step.kind, line: step.location.line, observations: [what], checks: [])
    }

    // MARK: lookup

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

    // MARK: http

    struct Fetch {
        var address: IPAddress?
        var pod: String?
        var response: HTTPFetcher.Response?
        var failure: String?
        var dns: [SearchWalk.Exchange] = []
    }

    /// Starts the fake cluster for the current state of `cluster`: DNS server (answers from
    /// `handler`), fake pods and forwarders.
    mutating func start() async throws {
        // the report holds no loopback address, so a block taken by another run (EADDRINUSE)
        // is skipped for the next free pair of blocks without changing the outcome
        var lastError: (any Error)?
        for attempt in 0..<8 {
            let block = UInt8((Int(loopbackBlock) - 1 + 2 * attempt) % 252 + 1)
            var configuration = ClusterRuntimeConfiguration()
            configuration.seed = seed
            configuration.dns.host = "127.0.0.1"
            configuration.dns.port = 0
            configuration.loopbackBlock = block
            let runtime = ClusterRuntime(cluster: cluster, configuration: configuration, dnsHandler: handler, logger: logger)
            do {
                try await runtime.start()
                self.runtime = runtime
                return
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                lastError = error
                continue
            } catch {
                lastError = error
                break
            }
        }
        throw ReplayError(
            "\(scenario.displayPath): the fake cluster could not start in loopback block \(loopbackBlock) or the next ones: \(lastError.map { "\($0)" } ?? "?")"
        )
    }

    mutating func fetch(_ request: Step.HTTPFetch) async throws -> (Fetch, [String]) {
        var observations: [String] = []
        var result = Fetch()
        let address: IPAddress
        if let literal = IPAddress(request.host) {
            address = literal
        } else {
            let resolution = resolve(request.host, type: .a)
            result.dns = resolution.walk?.exchanges ?? []
            for exchange in resolution.walk?.exchanges ?? [] {
                observations.append(
                    "dns \(exchange.name) \(exchange.type) \(exchange.rcode)"
                        + (exchange.reply.answers.isEmpty ? "" : " " + exchange.reply.answers.map(ReplaySession.answerText).joined(separator: " ")))
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
        guard let loopback = runtime.addressPlan.loopback(for: address) else {
            result.failure = "\(address) is outside the fake cluster (not contacted)"
            return (result, observations)
        }
        // the connection log is written when a listener accepts, before any byte of the reply
        // exists (the request log is written while the reply is already on its way, so it can lag)
        let before = runtime.log.connections.count
        let port = runtime.addressPlan.loopbackPort(for: request.port)
        do {
            result.response = try HTTPFetcher.get(address: loopback, port: port, host: request.host, path: request.path)
        } catch {
            result.failure = error.description
        }
        if result.response != nil {
            // the client's own connection is the first one accepted after `before`: a forwarded one
            // (backend = the pod kube-proxy chose) or one straight to a pod
            result.pod = runtime.log.connections.dropFirst(before).first?.backend
        }
        return (result, observations)
    }

    mutating func httpStep(_ step: Step, _ request: Step.HTTPFetch, index: Int) async throws -> StepReport {
        var observations: [String] = []
        var fetches: [Fetch] = []
        for repeatIndex in 1...request.repeatCount {
            let (result, dns) = try await fetch(request)
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
        if let connectsTo = expect.connectsTo {
            let addresses = ReplaySession.distinct(fetches.compactMap(\.address)).sorted { $0.description < $1.description }
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
            case .regex(let pattern): expectedLine = "regex: \(pattern)"
            }
            let actualLine = shown.map(ReplaySession.escaped) ?? "no response"
            checks.append(Check(expectation: "body", passed: failing == nil, expected: [expectedLine], actual: [actualLine]))
        }
        var report = StepReport(
            index: index, name: step.name, kind: step.kind, line: step.location.line, observations: observations, distribution: distribution, checks: checks)
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
