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

}
