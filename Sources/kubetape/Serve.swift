import ArgumentParser
import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Foundation
import Logging

/// `kubetape serve`: the fake cluster in the foreground until SIGINT/SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded fake cluster: cluster DNS, fake pods and the cluster-IP forwarder.",
        discussion: """
            In the loopback plan (default, no root) DNS listens on --listen and every pod and cluster IP \
            gets its own 127/8 address; DNS answers keep the cluster's real addresses unless \
            --rewrite-answers is given. Prints the address map, then a line containing 'ready'.
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "DNS listen address in the loopback plan (default 127.0.0.1:10053).")
    var listen: String?

    @Option(help: "Address plan: loopback or netns.")
    var plan: PlanName = .loopback

    @Option(help: "Loopback plan: pods get 127.N.0.0/16 and services 127.N+1.0.0/16 (to run two clusters side by side; default 1).")
    var loopbackBlock: UInt8?

    @Option(help: "UDP sockets sharing the DNS port (SO_REUSEPORT), each on its own thread (loopback plan).")
    var udpSockets: Int = 1

    @Flag(help: "Start the DNS server only.")
    var dnsOnly = false

    @Flag(help: "Answer A/AAAA queries with the loopback stand-ins instead of the cluster addresses.")
    var rewriteAnswers = false

    enum PlanName: String, ExpressibleByArgument, CaseIterable {
        case loopback
        case netns
    }

    func validate() throws {
        if let listen, Serve.parseListen(listen) == nil { throw ValidationError("--listen must be IPV4:PORT, e.g. 127.0.0.1:10053") }
        if plan == .netns && rewriteAnswers { throw ValidationError("--rewrite-answers only makes sense in the loopback plan") }
        if plan == .netns && (listen != nil || loopbackBlock != nil) {
            throw ValidationError(
                "--listen and --loopback-block apply to the loopback plan; in the netns plan DNS listens on the cluster DNS service IP (port 53) inside kubetape-<pid>-cluster"
            )
        }
        guard (1...64).contains(udpSockets) else { throw ValidationError("--udp-sockets must be 1...64") }
        if let loopbackBlock, !(1...253).contains(loopbackBlock) { throw ValidationError("--loopback-block must be 1...253") }
    }

    static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
            IPv4Address(text[..<colon]) != nil
        else { return nil }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        let model = try cluster.loadCluster()
        let options = try cluster.dnsOptions()
        var configuration = ClusterRuntimeConfiguration()
        configuration.seed = cluster.seed
        configuration.dnsOnly = dnsOnly
        // serve reports nothing from the log: keep it flat under load
        configuration.logLimit = 10_000
        configuration.loopbackBlock = loopbackBlock ?? 1
        configuration.dns.udpSockets = udpSockets
        let (host, port) = Serve.parseListen(listen ?? "127.0.0.1:10053") ?? ("127.0.0.1", 10053)
        configuration.dns.host = host
        configuration.dns.port = port
        var topology: NetnsTopology?
        if plan == .netns {
            guard getuid() == 0 else { throw BadInput("--plan netns needs root (it creates network namespaces)") }
            let client = ClientPodEnvironment.clientPod(in: model, named: nil)
            let kubelet = KubeletDNS(cluster: model, clusterDomain: options.clusterDomain.description.trimmingSuffix("."))
            do {
                topology = try NetnsTopology.create(
                    for: model, clientPod: client.pod, resolvConf: kubelet.resolvConf(for: client.pod).resolvConf.description,
                    hosts: ClientPodEnvironment.hosts(for: client.pod, clusterDomain: options.clusterDomain))
            } catch {
                throw BadInput("cannot build the network namespaces: \(error)")
            }
            configuration.plan = .netns(topology!)
        }
        let plan = LoopbackAddressPlan(cluster: model, block: configuration.loopbackBlock)
        let handler = ClusterDNSQueryHandler(
            responder: ClusterDNSResponder(cluster: model, options: options), rewritingAnswersWith: rewriteAnswers ? plan : nil)
        var logger = Logger(label: "kubetape")
        logger.logLevel = .warning
        let runtime = ClusterRuntime(cluster: model, configuration: configuration, dnsHandler: handler, logger: logger)
        let cleanup = SignalCleanup(exitOnSignal: false) { topology?.remove() }  // installs SIGINT/SIGTERM handling before the servers start
        defer { cleanup.run() }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            try await runtime.start()
        } catch {
            throw BadInput("cannot start the fake cluster: \(error)")
        }
        let startup = clock.now - started
        ServeOutput.printStartup(runtime: runtime, model: model, topology: topology, startup: startup)
        await SignalCleanup.waitForTermination()
        await runtime.shutdown()
    }
}

/// What `serve` prints before `ready`.
enum ServeOutput {
    static func printStartup(runtime: ClusterRuntime, model: Cluster, topology: NetnsTopology?, startup: Duration) {
        var lines: [String] = []
        if let topology {
            lines.append("dns: \(model.network.dnsServiceIP):53 (udp+tcp) in namespace \(topology.cluster.name)")
            lines.append("client pod namespace: \(topology.client.name) (\(topology.clientAddress))")
        } else if let address = runtime.dnsAddress {
            lines.append("dns: \(address.ipAddress ?? "?"):\(address.port ?? 0) (udp+tcp)")
        }
        if !runtime.configuration.dnsOnly && topology == nil {
            lines.append("address map (cluster address -> loopback):")
            for pod in model.pods.sorted(by: { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }) {
                for ip in pod.ips {
                    if let loopback = runtime.addressPlan.loopback(for: ip) {
                        lines.append("  pod \(pod.meta.namespace)/\(pod.meta.name) \(ip) -> \(loopback)")
                    }
                }
            }
            for service in model.services.sorted(by: { ($0.meta.namespace, $0.meta.name) < ($1.meta.namespace, $1.meta.name) }) {
                for ip in service.clusterIPs {
                    if let loopback = runtime.addressPlan.loopback(for: ip) {
                        lines.append("  service \(service.meta.namespace)/\(service.meta.name) \(ip) -> \(loopback)")
                    }
                }
            }
            if runtime.addressPlan.privilegedPortOffset != 0 {
                lines.append("  ports below 1024 are served at port + \(runtime.addressPlan.privilegedPortOffset) (not root)")
            }
        }
        let milliseconds = Double(startup.components.seconds) * 1000 + Double(startup.components.attoseconds) / 1e15
        lines.append("ready (servers started in \(String(format: "%.1f", milliseconds)) ms)")
        ImmediateStdout.write(lines.joined(separator: "\n") + "\n")
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
