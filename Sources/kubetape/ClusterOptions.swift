import ArgumentParser
import ClusterDNS
import ClusterModel
import DNSWire
import Foundation

/// Flags shared by every command that builds a fake cluster from manifests.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("manifests"), parsing: .upToNextOption, help: "Manifest files or directories (YAML, multi-document, kind: List).")
    var manifests: [String] = []

    @Option(name: .customLong("zone"), help: "A zone of the kubernetes plugin (repeatable; replaces the default list 'cluster.local in-addr.arpa ip6.arpa').")
    var zones: [String] = []

    @Option(help: "TTL of cluster records (CoreDNS default 5; kubeadm configures 30).")
    var ttl: UInt32 = 5

    @Option(help: "Pod records: disabled (CoreDNS default), insecure (kubeadm), verified.")
    var pods: ClusterDNSOptions.PodMode = .disabled

    @Option(help: "Seed for every random choice (answer shuffle, forwarder, generated names).")
    var seed: UInt64 = 1

    @Option(
        help:
            "A zone file of records for names outside the cluster zones, answered as an upstream server would through CoreDNS's forward (never forwarded for real; default: REFUSED)."
    )
    var upstreamRecords: String?

    func validate() throws {
        guard !manifests.isEmpty else { throw ValidationError("--manifests needs at least one file or directory") }
        guard ttl <= 3600 else { throw ValidationError("--ttl must be 0...3600, as CoreDNS allows") }
    }

    /// Loads the manifests; manifest errors become bad input (exit 2) with file:line, warnings go to stderr.
    func loadCluster() throws -> Cluster {
        let cluster: Cluster
        do {
            cluster = try ManifestLoader(options: ManifestLoader.Options(seed: seed)).load(paths: manifests)
        } catch let error as ManifestError {
            throw BadInput(error.description)
        }
        for warning in cluster.warnings {
            FileHandleOutput.standardError(warning.description)
        }
        return cluster
    }

    /// The kubernetes plugin's options from the flags.
    func dnsOptions() throws -> ClusterDNSOptions {
        var options = ClusterDNSOptions(ttl: ttl, pods: pods, seed: seed)
        if !zones.isEmpty {
            options.zones = try zones.map { zone in
                do {
                    return try ClusterDNSOptions.zone(parsing: zone)
                } catch {
                    throw BadInput("--zone \(zone): \(error)")
                }
            }
        }
        if let upstreamRecords {
            guard let data = FileManager.default.contents(atPath: upstreamRecords) else { throw BadInput("\(upstreamRecords): cannot read the file") }
            do {
                let records = try ZoneFileParser(origin: .root, defaultTTL: 30).parse(String(decoding: data, as: UTF8.self))
                options.outsideZones = .records(records)
            } catch let error as DNSWireError {
                throw BadInput("\(upstreamRecords):\(error.offset ?? 1): \(ZoneFileParser.reasonWithoutLine(error))")
            }
        }
        return options
    }
}

extension ClusterDNSOptions.PodMode: ExpressibleByArgument {}
