import ArgumentParser
import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Foundation
import Logging

/// `kubetape exec`: run an unmodified program inside a pod of the fake cluster.
struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command inside a client pod of the fake cluster (netns plan, root).",
        discussion: """
            Builds kubetape-<pid>-cluster and kubetape-<pid>-client network namespaces in which the \
            cluster's real addresses exist, writes the pod's resolv.conf, hosts and nsswitch.conf, \
            runs COMMAND there with the pod's hostname, streams its output, exits with its status \
            and removes everything, also on SIGINT/SIGTERM.
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The client pod, NAMESPACE/POD (default: dns-test in the first namespace).")
    var from: String?

    @Option(help: "Record the whole exchange (client veth and cluster loopback, Linux cooked v2) to a pcap file.")
    var pcap: String?

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard !words.isEmpty else { throw ValidationError("give the command to run after --, e.g. kubetape exec --manifests m/ -- nslookup quote") }
        if let from, !from.contains("/") { throw ValidationError("--from must be NAMESPACE/POD") }
    }

    func run() async throws {
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard getuid() == 0 else { throw BadInput("kubetape exec needs root: it creates network namespaces (ip netns add)") }
        let model = try cluster.loadCluster()
        let options = try cluster.dnsOptions()
        let client = ClientPodEnvironment.clientPod(in: model, named: from)
        if client.assumed {
            FileHandleOutput.standardError(
                "note: pod \(client.pod.meta.namespace)/\(client.pod.meta.name) is not in the manifests; assuming it exists with IP \(client.pod.ips[0])")
        }
        let domain = options.clusterDomain.description.trimmingSuffix(".")
        let resolvConf = KubeletDNS(cluster: model, clusterDomain: domain).resolvConf(for: client.pod).resolvConf
        let topology: NetnsTopology
        do {
            topology = try NetnsTopology.create(
                for: model, clientPod: client.pod, resolvConf: resolvConf.description,
                hosts: ClientPodEnvironment.hosts(for: client.pod, clusterDomain: options.clusterDomain))
        } catch {
            throw BadInput("cannot build the network namespaces: \(error)")
        }
        let hostname = client.pod.hostname ?? client.pod.meta.name
        let child = PodCommand(namespace: topology.client, hostname: hostname, arguments: words)
        // a signal goes to the command; when it has gone, the normal path below tears down
        let cleanup = SignalCleanup { topology.remove() }
        cleanup.onSignal = { number in child.signal(number) }
        cleanup.exitsOnSignal = { !child.isRunning }
        defer { cleanup.run() }
        var configuration = ClusterRuntimeConfiguration()
        configuration.seed = cluster.seed
        configuration.plan = .netns(topology)
        let handler = ClusterDNSQueryHandler(responder: ClusterDNSResponder(cluster: model, options: options))
        var logger = Logger(label: "kubetape")
        logger.logLevel = .warning
        let runtime = ClusterRuntime(cluster: model, configuration: configuration, dnsHandler: handler, logger: logger)
        do {
            try await runtime.start()
        } catch {
            throw BadInput("cannot start the fake cluster: \(error)")
        }
        var recorder: NamespaceRecorder?
        if let pcap {
            do {
                recorder = try NamespaceRecorder(namespace: topology.cluster, path: pcap)
            } catch {
                await runtime.shutdown()
                throw BadInput("--pcap \(pcap): \(error)")
            }
        }
        let status: Int32
        do {
            status = try await child.run(capturing: false).status
        } catch {
            await runtime.shutdown()
            throw BadInput("cannot run \(words[0]): \(error)")
        }
        if let recorder {
            do {
                let (written, statistics) = try recorder.stop()
                FileHandleOutput.standardError(
                    "kubetape: \(written) packets written to \(pcap ?? "")" + (statistics.map { " (received \($0.received), dropped \($0.dropped))" } ?? ""))
            } catch {
                FileHandleOutput.standardError("kubetape: recording to \(pcap ?? "") failed: \(error)")
            }
        }
        await runtime.shutdown()
        cleanup.run()
        if status != 0 { throw ExitCode(status) }
    }
}
