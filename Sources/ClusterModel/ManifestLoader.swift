import Foundation
import Yams

/// Reads Kubernetes manifests, as users keep them, into a `Cluster`.
///
/// Accepts multi-document YAML (and JSON) files, whole directories, and the `kind: List` output of
/// `kubectl get -o yaml`. It reads `v1` Namespace, Pod, Service and Endpoints, `discovery.k8s.io/v1`
/// EndpointSlice, and expands `apps/v1` Deployment, ReplicaSet and StatefulSet into their pods.
/// It then does what the cluster's controllers would: assigns missing pod and cluster IPs from the
/// `NetworkPlan`, mirrors selector-less Endpoints into EndpointSlices and derives the EndpointSlices
/// of every Service with a selector. See `docs/manifests.md`.
///
/// Errors (bad YAML, wrong field types, unknown apiVersions, missing names, duplicates) are
/// collected and thrown together as a `ManifestError`; warnings end up in `Cluster.warnings`.
public struct ManifestLoader: Sendable {
    /// How to fill in what the manifests leave to the cluster.
    public struct Options: Sendable {
        /// Pod and service CIDRs used for addresses the manifests do not state.
        public var network: NetworkPlan
        /// Seed of the generator behind Deployment/ReplicaSet pod names; same seed, same names.
        public var seed: UInt64

        /// The defaults: `10.244.0.0/16` pods, `10.96.0.0/12` services, DNS at `10.96.0.10`, seed 1.
        public init(network: NetworkPlan = NetworkPlan(), seed: UInt64 = 1) {
            self.network = network
            self.seed = seed
        }
    }

    /// The address plan and seed this loader uses.
    public var options: Options

    /// A loader with the given options.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// The most pods one Deployment, ReplicaSet or StatefulSet may expand into.
    public static let maximumReplicas = 10_000

    /// File name extensions read when a directory is given.
    public static let manifestExtensions: Set<String> = ["yaml", "yml", "json"]

    /// Loads files and directories (searched recursively for `*.yaml`, `*.yml`, `*.json`, in sorted
    /// order). Throws `ManifestError`.
    public func load(paths: [String]) throws -> Cluster {
        try load(paths: paths, applying: [])
    }

    /// Loads `paths`, then the manifests `applying` as `kubectl apply` would: an object that
    /// exists already (same kind, namespace and name) is replaced by the applied one as a whole
    /// (no three-way merge), new objects are added. Duplicates within one file stay errors.
    public func load(paths: [String], applying: [String]) throws -> Cluster {
        let log = DiagnosticLog()
        var sources: [(file: String, text: String, applied: Bool)] = []
        for (index, path) in (paths + applying).enumerated() {
            for file in Self.manifestFiles(at: path, log: log) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    log.error(nil, "\(file): cannot read the file")
                    continue
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    log.error(SourceLocation(file: file, line: 1), "the file is not UTF-8 text")
                    continue
                }
                sources.append((file, text, index >= paths.count))
            }
        }
        return try load(sources: sources, log: log)
    }

    /// Loads the documents of one YAML (or JSON) text; `file` names it in diagnostics.
    /// Throws `ManifestError`.
    public func load(yaml: String, file: String) throws -> Cluster {
        try load(sources: [(file, yaml, false)], log: DiagnosticLog())
    }

    private func load(sources: [(file: String, text: String, applied: Bool)], log: DiagnosticLog) throws -> Cluster {
        var session = LoadSession(options: options, log: log)
        for source in sources {
            session.replacesExisting = source.applied
            session.read(yaml: source.text, file: source.file)
        }
        var cluster = session.finish()
        let files = sources.map(\.file)
        if !log.errors.isEmpty {
            throw ManifestError(diagnostics: DiagnosticLog.ordered(log.errors, files: files))
        }
        cluster.warnings = DiagnosticLog.ordered(cluster.warnings, files: files)
        return cluster
    }

    /// The manifest files under `path`: the file itself, or every manifest file below a directory,
    /// sorted by path so that loading is deterministic.
    static func manifestFiles(at path: String, log: DiagnosticLog) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            log.error(nil, "\(path): no such file or directory")
            return []
        }
        guard isDirectory.boolValue else { return [path] }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            log.error(nil, "\(path): cannot list the directory")
            return []
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let ext = (relative as NSString).pathExtension.lowercased()
            guard manifestExtensions.contains(ext) else { continue }
            let full = (path as NSString).appendingPathComponent(relative)
            var childIsDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                files.append(full)
            }
        }
        if files.isEmpty {
            log.error(nil, "\(path): the directory holds no *.yaml, *.yml or *.json file")
        }
        return files.sorted()
    }
}
