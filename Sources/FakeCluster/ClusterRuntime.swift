import ClusterModel
import DNSWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Settings of the fake cluster's runtime; defaults give the loopback plan on 127.0.0.1:10053.
public struct ClusterRuntimeConfiguration: Sendable {
    /// Where the DNS server listens.
    public var dns = DNSServerConfiguration()
    /// Start only the DNS server: no fake pods, no forwarder.
    public var dnsOnly = false
    /// Seed of the forwarder's endpoint choice.
    public var seed: UInt64 = 1
    /// Pod annotation that replaces the default HTTP body.
    public var bodyAnnotation = "kubetape.io/http-body"
    /// Added to ports below 1024 on loopback; `nil` picks 0 as root and 10000 otherwise.
    public var privilegedPortOffset: UInt16?
    /// Where the cluster's addresses live.
    public var plan: Plan = .loopback
    /// Loopback plan: pods in 127.<block>.0.0/16, services in 127.<block+1>.0.0/16.
    public var loopbackBlock: UInt8 = 1
    /// Requests and connections the log keeps at least (see ``ServedRequestLog/limit``); reports
    /// need them all, a long-running `serve` only the latest.
    public var logLimit = ServedRequestLog.unlimited

    /// The address plans.
    public enum Plan: Sendable {
        /// Every cluster address stands in as its own 127/8 address (no root needed).
        case loopback
        /// The cluster's real addresses inside kubetape's own network namespaces (root).
        case netns(NetnsTopology)
    }

    public init() {}
}

/// The embedded fake cluster in the loopback plan: a DNS server, one HTTP/1.1 server per pod
/// port, and a kube-proxy-like forwarder per cluster IP and port, each on its own 127/8 address.
public final class ClusterRuntime: Sendable {
    public let cluster: Cluster
    public let configuration: ClusterRuntimeConfiguration
    public let addressPlan: LoopbackAddressPlan
    public let forwarding: ForwardingTable
    /// Every accepted connection and served request.
    public let log: ServedRequestLog
    let dnsServer: DNSServer?
    let group: any EventLoopGroup
    let logger: Logger
    let clock: @Sendable () -> Int64
    private let listeners = NIOLockedValueBox<[Channel]>([])
    private let chooser: NIOLockedValueBox<BackendChooser>

    /// - Parameters:
    ///   - dnsHandler: answers the DNS queries (normally ClusterDNS); `nil` starts no DNS server.
    ///   - clock: nanoseconds for the logs; injected so that reports can be deterministic.
    public init(
        cluster: Cluster, configuration: ClusterRuntimeConfiguration = ClusterRuntimeConfiguration(), dnsHandler: (any DNSQueryHandler)?,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "kubetape.cluster"),
        clock: @escaping @Sendable () -> Int64 = ClusterRuntime.monotonicNanoseconds
    ) {
        self.cluster = cluster
        self.configuration = configuration
        self.log = ServedRequestLog(limit: configuration.logLimit)
        let offset = configuration.privilegedPortOffset ?? (ClusterRuntime.isRoot ? 0 : 10000)
        self.addressPlan = LoopbackAddressPlan(cluster: cluster, privilegedPortOffset: offset, block: configuration.loopbackBlock)
        self.forwarding = ForwardingTable(cluster: cluster)
        var dnsConfiguration = configuration.dns
        if case .netns(let topology) = configuration.plan {
            dnsConfiguration.namespace = topology.cluster
            dnsConfiguration.host = cluster.network.dnsServiceIP.description
            dnsConfiguration.port = 53
        }
        self.dnsServer = dnsHandler.map { DNSServer(configuration: dnsConfiguration, handler: $0, group: group, logger: logger) }
        self.group = group
        self.logger = logger
        self.clock = clock
        self.chooser = NIOLockedValueBox(BackendChooser(seed: configuration.seed))
    }

    static var isRoot: Bool { getuid() == 0 }

    @Sendable public static func monotonicNanoseconds() -> Int64 {
        Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
    }

    /// Starts a runtime in the loopback plan in `configuration.loopbackBlock` or, when another
    /// process holds an address there (EADDRINUSE), in the next free pair of blocks (up to
    /// `attempts` pairs, wrapping within 1...252). For callers whose output never shows loopback
    /// addresses (reports, tests), so that parallel runs on one machine do not collide.
    public static func startInFreeLoopbackBlock(
        cluster: Cluster, configuration: ClusterRuntimeConfiguration, dnsHandler: (any DNSQueryHandler)?, logger: Logger = Logger(label: "kubetape.cluster"),
        attempts: Int = 8
    ) async throws -> ClusterRuntime {
        var lastError: (any Error)?
        for attempt in 0..<max(attempts, 1) {
            var candidate = configuration
            candidate.loopbackBlock = UInt8((Int(configuration.loopbackBlock) - 1 + 2 * attempt) % 252 + 1)
            let runtime = ClusterRuntime(cluster: cluster, configuration: candidate, dnsHandler: dnsHandler, logger: logger)
            do {
                try await runtime.start()
                return runtime
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                lastError = error
            }
        }
        throw lastError ?? NetnsError("no free loopback block")
    }

    /// Where DNS listens, once started.
    public var dnsAddress: SocketAddress? { dnsServer?.localAddress }

    /// Binds everything; returns once every listener accepts connections.
    public func start() async throws {
        do {
            try await dnsServer?.start()
            guard !configuration.dnsOnly else { return }
            var endpoints: [BackendKey: FakePodEndpoint] = [:]
            for pod in cluster.pods where pod.phase == .running && !pod.hostNetwork {
                for ip in pod.ips {
                    guard let listen = listenAddress(for: ip) else { continue }
                    let ports = Set(pod.containerPorts.filter { $0.transport == .tcp }.map(\.containerPort))
                    for port in (ports.isEmpty ? [80] : ports.sorted()) {
                        let endpoint = FakePodEndpoint(
                            podName: "\(pod.meta.namespace)/\(pod.meta.name)", podAddress: ip, port: port, body: body(for: pod), log: log, clock: clock)
                        try await bindPod(endpoint, on: listen)
                        endpoints[BackendKey(address: ip, port: port)] = endpoint
                    }
                }
            }
            let served = endpoints
            for frontend in forwarding.backends.keys.sorted() {
                // the cluster DNS service address belongs to kubetape's own DNS server
                if dnsServer != nil && frontend.address == cluster.network.dnsServiceIP { continue }
                // with no ready endpoint nothing listens, so clients get "connection refused"
                // exactly as kube-proxy's REJECT rule gives them
                guard let listen = listenAddress(for: frontend.address), forwarding.backends[frontend]?.isEmpty == false else { continue }
                try await bindForwarder(frontend, on: listen, endpoints: served)
            }
        } catch {
            await shutdown()
            throw error
        }
    }

    /// The body a pod answers with: its annotation, or the chapter's sentence.
    public func body(for pod: Pod) -> String {
        if let custom = pod.meta.annotations[configuration.bodyAnnotation] { return custom }
        let service =
            pod.meta.labels["app"]
            ?? cluster.services.first { service in
                guard service.meta.namespace == pod.meta.namespace, let selector = service.selector, !selector.isEmpty else { return false }
                return selector.allSatisfy { pod.meta.labels[$0.key] == $0.value }
            }?.meta.name ?? pod.meta.name
        return "This is the \(service) service running in pod \(pod.meta.name)\n"
    }

    /// The address a listener for `clusterAddress` binds: its loopback stand-in, or (netns plan) the
    /// address itself. The client pod's own address is not served in the netns plan.
    func listenAddress(for clusterAddress: IPAddress) -> IPAddress? {
        switch configuration.plan {
        case .loopback:
            return addressPlan.loopback(for: clusterAddress).map(IPAddress.v4)
        case .netns(let topology):
            guard !topology.clientAddresses.contains(clusterAddress) else { return nil }
            return clusterAddress
        }
    }

    /// The port a listener for cluster port `port` binds.
    func listenPort(_ port: UInt16) -> UInt16 {
        switch configuration.plan {
        case .loopback: return addressPlan.loopbackPort(for: port)
        case .netns: return port
        }
    }

    private func bind(_ bootstrap: ServerBootstrap, address: IPAddress, port: UInt16) async throws -> Channel {
        switch configuration.plan {
        case .loopback:
            return try await bootstrap.bind(host: address.description, port: Int(port)).get()
        case .netns(let topology):
            let fd = try topology.cluster.perform { try RawSocket.bound(address: address.description, port: port, tcp: true) }
            return try await bootstrap.withBoundSocket(fd).get()
        }
    }

    private func bindPod(_ endpoint: FakePodEndpoint, on loopback: IPAddress) async throws {
        let log = self.log
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = log.nextConnectionNumber()
                    log.record(
                        AcceptedConnection(
                            time: endpoint.clock(), kind: .pod, client: channel.remoteAddress.map(FakePodHTTPHandler.text) ?? "?",
                            destination: endpoint.podAddress,
                            port: endpoint.port, backend: endpoint.podName, connection: connection))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FakePodHTTPHandler(endpoint: endpoint, connection: connection))
                }
            }
        let channel = try await bind(bootstrap, address: loopback, port: listenPort(endpoint.port))
        listeners.withLockedValue { $0.append(channel) }
    }

    /// A pod's address and port, to find its in-process endpoint.
    struct BackendKey: Hashable {
        var address: IPAddress
        var port: UInt16
    }

    /// The cluster-IP forwarder. A connection forwarded to a pod that this runtime serves is
    /// served on the client's own connection, as after kube-proxy's DNAT: one connection, and the
    /// pod sees the client's address. Any other backend is dialled and spliced (a second leg).
    private func bindForwarder(_ frontend: ForwardingTable.Frontend, on loopback: IPAddress, endpoints: [BackendKey: FakePodEndpoint]) async throws {
        let log = self.log
        let clock = self.clock
        let table = forwarding
        let chooser = self.chooser
        let group = self.group
        let dial = dialer()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                let client = inbound.remoteAddress?.ipAddress ?? "?"
                let clientText = inbound.remoteAddress.map(FakePodHTTPHandler.text) ?? "?"
                let connection = log.nextConnectionNumber()
                let backend = chooser.withLockedValue { $0.choose(frontend, client: client, in: table) }
                guard let backend else {
                    // no ready endpoint (the table changed under us): close at once
                    log.record(
                        AcceptedConnection(
                            time: clock(), kind: .refused, client: clientText, destination: frontend.address, port: frontend.port, backend: nil,
                            connection: connection))
                    return inbound.close()
                }
                log.record(
                    AcceptedConnection(
                        time: clock(), kind: .forwarded, client: clientText, destination: frontend.address, port: frontend.port, backend: backend.pod,
                        connection: connection))
                if let endpoint = endpoints[BackendKey(address: backend.address, port: backend.port)] {
                    return inbound.eventLoop.makeCompletedFuture {
                        try inbound.pipeline.syncOperations.configureHTTPServerPipeline()
                        try inbound.pipeline.syncOperations.addHandler(FakePodHTTPHandler(endpoint: endpoint, connection: connection))
                        _ = inbound.setOption(.autoRead, value: true)
                    }
                }
                return dial(inbound.eventLoop, backend.address, backend.port)
                    .flatMapThrowing { outbound in
                        let (a, b) = GlueHandler.matchedPair()
                        try inbound.pipeline.syncOperations.addHandler(a)
                        try outbound.pipeline.syncOperations.addHandler(b)
                        // the inbound side is registered (and starts reading) once this returns
                        _ = inbound.setOption(.autoRead, value: true)
                    }
                    .flatMapError { _ in
                        inbound.close()
                    }
            }
        let channel = try await bind(bootstrap, address: loopback, port: listenPort(frontend.port))
        listeners.withLockedValue { $0.append(channel) }
    }

    /// How the forwarder reaches a backend: through its loopback stand-in, or (netns plan) from a
    /// socket connected inside the cluster namespace on a pool thread, then handed to NIO.
    private func dialer() -> @Sendable (EventLoop, IPAddress, UInt16) -> EventLoopFuture<Channel> {
        switch configuration.plan {
        case .loopback:
            let plan = addressPlan
            return { eventLoop, address, port in
                guard let target = plan.loopback(for: address) else {
                    return eventLoop.makeFailedFuture(NetnsError("no loopback address for \(address)"))
                }
                // a socket address, not a host name: connect(host:) would resolve the literal on
                // the resolver's thread pool before every connection
                let address: SocketAddress
                do {
                    address = try SocketAddress(ipAddress: target.description, port: Int(plan.loopbackPort(for: port)))
                } catch {
                    return eventLoop.makeFailedFuture(error)
                }
                return ClientBootstrap(group: eventLoop).connect(to: address)
            }
        case .netns(let topology):
            return { eventLoop, address, port in
                NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
                    try topology.cluster.perform { try RawSocket.connected(address: address.description, port: port) }
                }.flatMap { fd in
                    ClientBootstrap(group: eventLoop).withConnectedSocket(fd)
                }
            }
        }
    }

    /// Serves until ``shutdown()`` or cancellation.
    public func run() async throws {
        try await start()
        let channels = listeners.withLockedValue { $0 }
        try await withTaskCancellationHandler {
            for channel in channels { try? await channel.closeFuture.get() }
            try await dnsServer?.run()
        } onCancel: {
            for channel in channels { channel.close(promise: nil) }
            Task { await self.dnsServer?.shutdown() }
        }
    }

    /// Closes every listener and the DNS server.
    public func shutdown() async {
        let channels = listeners.withLockedValue { value in
            defer { value = [] }
            return value
        }
        for channel in channels { try? await channel.close() }
        await dnsServer?.shutdown()
    }
}
