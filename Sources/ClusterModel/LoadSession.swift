import DNSWire
import Yams

/// One run of `ManifestLoader`: the objects read so far, then the controllers' work in `finish()`.
struct LoadSession {
    let options: ManifestLoader.Options
    let log: DiagnosticLog

    /// A pod as read, before addresses are assigned.
    struct PendingPod {
        var pod: Pod
        /// `metadata.ownerReferences` as (kind, name).
        var owners: [(kind: String, name: String)]
    }

    /// A Service as read, with what address assignment needs.
    struct PendingService {
        var service: Service
        var familyPolicy: FamilyPolicy?
        var explicitFamilies: Bool
    }

    enum FamilyPolicy: String, CaseIterable {
        case singleStack = "SingleStack"
        case preferDualStack = "PreferDualStack"
        case requireDualStack = "RequireDualStack"
    }

    /// A `v1` Endpoints object (read only to be mirrored).
    struct EndpointsObject {
        struct Address {
            var ip: IPAddress
            var hostname: String?
            var nodeName: String?
            var targetPodName: String?
        }
        struct Subset {
            var ready: [Address]
            var notReady: [Address]
            var ports: [EndpointPort]
        }
        var meta: ObjectMeta
        var subsets: [Subset]
    }

    /// A Deployment, ReplicaSet or StatefulSet, expanded into pods in `finish()`.
    struct WorkloadObject {
        enum Kind: String {
            case deployment = "Deployment"
            case replicaSet = "ReplicaSet"
            case statefulSet = "StatefulSet"
        }
        var kind: Kind
        var meta: ObjectMeta
        var owners: [(kind: String, name: String)]
        var replicas: Int
        var serviceName: String?
        /// The pod template (name empty; labels from the template).
        var template: Pod
    }

    /// Pods and workloads in document order, so generated pods sit where their workload was.
    enum PodSource {
        case pod(PendingPod)
        case workload(WorkloadObject)
    }

    struct ObjectKey: Hashable {
        var kind: String
        var namespace: String
        var name: String
    }

    var declaredNamespaces: [String] = []
    var podSources: [PodSource] = []
    var services: [PendingService] = []
    var endpoints: [EndpointsObject] = []
    var slices: [EndpointSlice] = []
    var seen: [ObjectKey: SourceLocation] = [:]
    /// While reading applied manifests: an object declared in an earlier file is replaced.
    var replacesExisting = false

    init(options: ManifestLoader.Options, log: DiagnosticLog) {
        self.options = options
        self.log = log
    }

    // MARK: Reading documents

    mutating func read(yaml: String, file: String) {
        let reader = ManifestReader(file: file, log: log)
        let parser: Parser
        do {
            parser = try Parser(yaml: yaml)
        } catch {
            reportYAMLError(error, file: file, text: yaml)
            return
        }
        while true {
            do {
                guard let root = try parser.nextRoot() else { break }
                readDocument(root, reader: reader)
            } catch {
                // The rest of the stream cannot be trusted after a syntax error.
                reportYAMLError(error, file: file, text: yaml)
                break
            }
        }
    }

    private func reportYAMLError(_ error: Error, file: String, text: String) {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        func with(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) started at line \(context.mark.line), column \(context.mark.column))"
        }
        guard let yamlError = error as? YamlError else {
            log.error(SourceLocation(file: file, line: 1), "invalid YAML: \(error)")
            return
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            log.error(at(mark), "invalid YAML: \(problem)\(with(context))")
        case .reader(let problem, let offset, _, _):
            var line = 1
            var column = 1
            if let offset {
                for character in text.prefix(offset) {
                    if character == "\n" {
                        line += 1
                        column = 1
                    } else {
                        column += 1
                    }
                }
            }
            log.error(SourceLocation(file: file, line: line, column: column), "unreadable YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            log.error(at(context.mark), "the key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) appears twice in the mapping that starts here")
        default:
            log.error(SourceLocation(file: file, line: 1), "invalid YAML: \(yamlError)")
        }
    }

    private mutating func readDocument(_ root: Node, reader: ManifestReader) {
        if ManifestReader.isNull(root) { return }  // empty document, e.g. a trailing `---`
        guard let mapping = root.mapping else {
            reader.error(root, "a manifest document must be a mapping with apiVersion, kind and metadata")
            return
        }
        readObject(mapping, reader: reader)
    }

    static let coreKinds: Set<String> = ["Namespace", "Pod", "Service", "Endpoints"]
    static let workloadKinds: Set<String> = ["Deployment", "ReplicaSet", "StatefulSet"]

    private mutating func readObject(_ mapping: Node.Mapping, reader: ManifestReader, inList: Bool = false) {
        let location = reader.location(mapping)
        let kind = reader.string(mapping, "kind", path: "kind")
        let apiVersion = reader.string(mapping, "apiVersion", path: "apiVersion")
        guard let kind, !kind.isEmpty else {
            if reader.value(mapping, "kind") == nil {
                log.error(location, "the object has no kind")
            }
            return
        }
        guard let apiVersion, !apiVersion.isEmpty else {
            if reader.value(mapping, "apiVersion") == nil {
                log.error(location, "the \(kind) has no apiVersion")
            }
            return
        }

        if kind == "List" || (kind.hasSuffix("List") && reader.value(mapping, "items") != nil) {
            if kind == "List" && apiVersion != "v1" {
                log.error(location, "a List must have apiVersion v1, found \(apiVersion)")
                return
            }
            if inList {
                log.error(location, "a \(kind) cannot be an item of another list")
                return
            }
            for item in reader.mappings(mapping, "items", path: "items") {
                readObject(item, reader: reader, inList: true)
            }
            return
        }

        let expected: String?
        if Self.coreKinds.contains(kind) {
            expected = "v1"
        } else if kind == "EndpointSlice" {
            expected = "discovery.k8s.io/v1"
        } else if Self.workloadKinds.contains(kind) {
            expected = "apps/v1"
        } else {
            expected = nil
        }
        guard let expected else {
            let name = reader.mapping(mapping, "metadata", path: "metadata").flatMap { reader.value($0, "name")?.string } ?? "(unnamed)"
            log.warning(
                location,
                "skipped \(apiVersion) \(kind) \"\(name)\": kubetape reads only Namespace, Pod, Service, Endpoints, EndpointSlice, Deployment, ReplicaSet and StatefulSet"
            )
            return
        }
        guard apiVersion == expected else {
            var message = "\(kind) needs apiVersion \(expected), found \(apiVersion)"
            if kind == "EndpointSlice", apiVersion.hasPrefix("discovery.k8s.io/v1beta") {
                message += " (discovery.k8s.io/v1beta1 was removed in Kubernetes 1.25)"
            } else if Self.workloadKinds.contains(kind), apiVersion.hasPrefix("extensions/") || apiVersion.hasPrefix("apps/v1beta") {
                message += " (\(apiVersion) was removed in Kubernetes 1.16)"
            }
            log.error(location, message)
            return
        }

        guard let meta = readMeta(mapping, kind: kind, reader: reader) else { return }
        let key = ObjectKey(kind: kind, namespace: kind == "Namespace" ? "" : meta.namespace, name: meta.name)
        if let first = seen[key] {
            if replacesExisting && first.file != location.file {
                remove(key)
            } else {
                let scope = kind == "Namespace" ? "" : " in namespace \(meta.namespace)"
                log.error(location, "duplicate \(kind) \"\(meta.name)\"\(scope): already declared at \(first)")
                return
            }
        }
        seen[key] = location

        switch kind {
        case "Namespace":
            declaredNamespaces.append(meta.name)
        case "Pod":
            if let pod = readPod(mapping, meta: meta, reader: reader) { podSources.append(.pod(pod)) }
        case "Service":
            if let service = readService(mapping, meta: meta, reader: reader) { services.append(service) }
        case "Endpoints":
            endpoints.append(readEndpoints(mapping, meta: meta, reader: reader))
        case "EndpointSlice":
            if let slice = readEndpointSlice(mapping, meta: meta, reader: reader) { slices.append(slice) }
        default:
            if let workloadKind = WorkloadObject.Kind(rawValue: kind), let workload = readWorkload(mapping, kind: workloadKind, meta: meta, reader: reader) {
                podSources.append(.workload(workload))
            }
        }
    }

    /// Forgets an object read before, which an applied manifest replaces.
    private mutating func remove(_ key: ObjectKey) {
        func matches(_ meta: ObjectMeta) -> Bool { meta.namespace == key.namespace && meta.name == key.name }
        switch key.kind {
        case "Namespace":
            declaredNamespaces.removeAll { $0 == key.name }
        case "Pod":
            podSources.removeAll { source in
                if case .pod(let pending) = source { return matches(pending.pod.meta) }
                return false
            }
        case "Service":
            services.removeAll { matches($0.service.meta) }
        case "Endpoints":
            endpoints.removeAll { matches($0.meta) }
        case "EndpointSlice":
            slices.removeAll { matches($0.meta) }
        default:
            podSources.removeAll { source in
                if case .workload(let workload) = source { return workload.kind.rawValue == key.kind && matches(workload.meta) }
                return false
            }
        }
    }

    private func readMeta(_ object: Node.Mapping, kind: String, reader: ManifestReader) -> ObjectMeta? {
        let location = reader.location(object)
        let metadata = reader.mapping(object, "metadata", path: "metadata")
        guard let metadata else {
            if reader.value(object, "metadata") == nil {
                log.error(location, "the \(kind) has no metadata.name")
            }
            return nil
        }
        let nameNode = reader.value(metadata, "name")
        guard let nameNode, let name = reader.string(nameNode, path: "metadata.name") else {
            if nameNode == nil {
                let hint = reader.value(metadata, "generateName") != nil ? " (generateName is not supported: give the object a name)" : ""
                log.error(reader.location(metadata), "the \(kind) has no metadata.name\(hint)")
            }
            return nil
        }
        let isLabelName = kind == "Namespace" || kind == "Service"
        if let problem = isLabelName ? Names.dnsLabelProblem(name) : Names.dnsSubdomainProblem(name) {
            reader.error(nameNode, "\(kind) name \"\(name)\" is invalid: \(problem)")
            return nil
        }
        var namespace = "default"
        if let node = reader.value(metadata, "namespace"), let value = reader.string(node, path: "metadata.namespace"), !value.isEmpty {
            if let problem = Names.dnsLabelProblem(value) {
                reader.error(node, "namespace \"\(value)\" is invalid: \(problem)")
                return nil
            }
            namespace = value
        }
        let labels = reader.stringMap(metadata, "labels", path: "metadata.labels") ?? [:]
        let annotations = reader.stringMap(metadata, "annotations", path: "metadata.annotations") ?? [:]
        return ObjectMeta(name: name, namespace: kind == "Namespace" ? name : namespace, labels: labels, annotations: annotations, source: location)
    }

    func readOwners(_ object: Node.Mapping, reader: ManifestReader) -> [(kind: String, name: String)] {
        let metadata = reader.value(object, "metadata")?.mapping
        return reader.mappings(metadata, "ownerReferences", path: "metadata.ownerReferences").compactMap { reference in
            guard let kind = reader.string(reference, "kind", path: "metadata.ownerReferences[].kind"),
                let name = reader.string(reference, "name", path: "metadata.ownerReferences[].name")
            else { return nil }
            return (kind, name)
        }
    }
}

/// Kubernetes object-name rules (RFC 1123), as the API server validates them.
enum Names {
    static func dnsLabelProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > 63 { return "it is longer than 63 characters" }
        return characterProblem(name)
    }

    static func dnsSubdomainProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > 253 { return "it is longer than 253 characters" }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "it has an empty dot-separated part" }
            if let problem = characterProblem(String(label)) { return problem }
        }
        return nil
    }

    private static func characterProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
        for byte in bytes where !(alnum(byte) || byte == 0x2d) {
            return "only lower-case letters, digits and '-' are allowed"
        }
        if let first = bytes.first, let last = bytes.last, !alnum(first) || !alnum(last) {
            return "it must start and end with a letter or digit"
        }
        return nil
    }
}
