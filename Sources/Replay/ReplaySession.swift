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
    var clientPod: Pod
    let resolver: StubResolver
    /// Options of every manifest load (seed and network plan), also for `apply:`.
    let loaderOptions: ManifestLoader.Options
    /// The fake clock, advanced by `wait:` steps, in milliseconds since the start.
    var clock = 0
    /// `client.cache: true`: replies by `name type`, with the clock time they were stored.
    var cache: [String: (reply: DNSMessage, storedAt: Int)] = [:]
    var runtime: ClusterRuntime?
    /// The netns plan's namespaces while the runtime runs in them.
    var topology: NetnsTopology?
    var nextQueryID: UInt16 = 1
    /// Manifests added by `apply:` steps, in order.
    var appliedPaths: [String] = []
    /// setReady/deletePod/deleteService so far, redone after an `apply:` reloads the manifests.
    var changes: [Step.Action] = []
    /// `--timings` details of the current step: loopback addresses and ephemeral ports.
    var timingDetails: [String] = []
    /// Values captured by earlier steps (`capture:`), substituted for `${NAME}`.
    var variables: [String: String] = [:]

    init(scenario: Scenario, seed: UInt64, loopbackBlock: UInt8, logger: Logger, dnsServer: DNSServerAddress?) throws {
        self.logger = logger
        self.dnsServer = dnsServer
        self.scenario = scenario
        self.seed = seed
        self.loopbackBlock = loopbackBlock
        var network = NetworkPlan()
        if !scenario.cluster.podCIDRs.isEmpty { network.podCIDRs = scenario.cluster.podCIDRs.compactMap { CIDR($0) } }
        if !scenario.cluster.serviceCIDRs.isEmpty { network.serviceCIDRs = scenario.cluster.serviceCIDRs.compactMap { CIDR($0) } }
        if let text = scenario.cluster.dnsServiceIP, let address = IPAddress(text) { network.dnsServiceIP = address }
        loaderOptions = ManifestLoader.Options(network: network, seed: seed)
        let loader = ManifestLoader(options: loaderOptions)
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
        if !scenario.cluster.upstream.isEmpty { options.outsideZones = .records(scenario.cluster.upstream) }
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
        let netns = ReplaySession.needsNetns(scenario)
        // exec steps report what the program asked: the server keeps the queries
        handler = ClusterDNSQueryHandler(responder: ClusterDNSResponder(cluster: cluster, options: options), recording: netns)
        // without client.namespace: the namespace of the manifests' pod of that name, else of the first pod
        let name = scenario.client.name
        let namespace =
            scenario.client.namespace ?? cluster.pods.first { $0.meta.name == name }?.meta.namespace ?? cluster.pods.first?.meta.namespace ?? "default"
        clientNamespace = namespace
        clientPod = cluster.pods.first { $0.meta.namespace == namespace && $0.meta.name == name } ?? Pod(meta: ObjectMeta(name: name, namespace: namespace))
        if !clientPod.ips.contains(where: \.isIPv4) {
            // a pod the manifests do not declare: assumed to exist, with a free address
            clientPod.ips = ClientPodEnvironment.freePodAddresses(in: cluster)
        }
        if let policy = scenario.client.dnsPolicy.flatMap(DNSPolicy.init(rawValue:)) { clientPod.dnsPolicy = policy }
        if let config = scenario.client.dnsConfig { clientPod.dnsConfig = config }
        resolver = StubResolver(rawValue: scenario.client.resolver) ?? .glibc
    }

    var resolvConf: ResolvConf {
        let domain = dnsOptions.clusterDomain.description
        return KubeletDNS(cluster: cluster, clusterDomain: domain.hasSuffix(".") ? String(domain.dropLast()) : domain).resolvConf(for: clientPod).resolvConf
    }

    static func expanded(_ reference: PodReference, _ x: (String) -> String) -> PodReference {
        PodReference(parsing: x(reference.description), at: reference.location)
    }

    /// True when the scenario runs in the netns plan: `cluster.plan: netns`, or an `exec:` step
    /// and no plan given.
    static func needsNetns(_ scenario: Scenario) -> Bool {
        if let plan = scenario.cluster.plan { return plan == "netns" }
        return scenario.steps.contains { step in
            if case .exec = step.action { return true }
            return false
        }
    }

    var usesNetns: Bool { ReplaySession.needsNetns(scenario) }

    mutating func shutdown() async {
        if let runtime { await runtime.shutdown() }
        runtime = nil
        topology?.remove()
        topology = nil
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
        e.queries = e.queries?.map(x)
        if case .text(let text) = e.output { e.output = .text(x(text)) }
        if case .regex(let pattern) = e.output { e.output = .regex(Step.expandRegex(pattern, variables)) }
        if case .regex(let pattern) = e.body { e.body = .regex(Step.expandRegex(pattern, variables)) }
        e.distribution = e.distribution?.map { Expectations.PodBounds(pod: x($0.pod), min: $0.min, max: $0.max) }
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
                parsed.newConnectionEachTime = fetch.newConnectionEachTime
                step.action = .http(parsed)
            }
        case .setReady(let pod, let ready):
            step.action = .setReady(pod: ReplaySession.expanded(pod, x), ready: ready)
        case .deletePod(let pod):
            step.action = .deletePod(ReplaySession.expanded(pod, x))
        case .deleteService(let service):
            step.action = .deleteService(ReplaySession.expanded(service, x))
        case .scale(var scale):
            scale.workload = ReplaySession.expanded(scale.workload, x)
            step.action = .scale(scale)
        case .exec(var command):
            command.arguments = command.arguments.map(x)
            command.written = x(command.written)
            step.action = .exec(command)
        case .apply, .wait:
            break
        }
        return step
    }

    /// Starts the fake cluster for the current state of `cluster`: DNS server (answers from
    /// `handler`), fake pods and forwarders.
    mutating func start() async throws {
        if usesNetns {
            try await startInNamespaces()
            return
        }
        // the report holds no loopback address, so a block taken by another run (EADDRINUSE)
        // is skipped for the next free pair of blocks without changing the outcome
        var configuration = ClusterRuntimeConfiguration()
        configuration.seed = seed
        configuration.dns.host = "127.0.0.1"
        configuration.dns.port = 0
        configuration.loopbackBlock = loopbackBlock
        do {
            runtime = try await ClusterRuntime.startInFreeLoopbackBlock(cluster: cluster, configuration: configuration, dnsHandler: handler, logger: logger)
        } catch {
            throw ReplayError("\(scenario.displayPath): the fake cluster could not start in loopback block \(loopbackBlock) or the next ones: \(error)")
        }
    }

}

/// The netns plan: the cluster's real addresses inside namespaces kubetape makes.
extension ReplaySession {
    /// Builds kubetape-<pid>-cluster/-client for the current cluster and starts the runtime in them.
    mutating func startInNamespaces() async throws {
        guard getuid() == 0 else {
            throw ReplayError(
                "\(scenario.displayPath): the netns plan (exec: steps, cluster.plan: netns) needs root: kubetape creates network namespaces with ip netns add")
        }
        let built: NetnsTopology
        do {
            built = try NetnsTopology.create(
                for: cluster, clientPod: clientPod, resolvConf: resolvConf.description,
                hosts: ClientPodEnvironment.hosts(for: clientPod, clusterDomain: dnsOptions.clusterDomain))
        } catch {
            throw ReplayError("\(scenario.displayPath): cannot build the network namespaces: \(error)")
        }
        var configuration = ClusterRuntimeConfiguration()
        configuration.seed = seed
        configuration.plan = .netns(built)
        let runtime = ClusterRuntime(cluster: cluster, configuration: configuration, dnsHandler: handler, logger: logger)
        do {
            try await runtime.start()
        } catch {
            await runtime.shutdown()
            built.remove()
            throw ReplayError("\(scenario.displayPath): the fake cluster could not start in its namespaces: \(error)")
        }
        self.runtime = runtime
        topology = built
    }
}
