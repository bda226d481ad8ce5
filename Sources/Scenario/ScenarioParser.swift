import ClusterModel
import DNSWire
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// Reads scenario YAML into a ``Scenario``. Strict: unknown keys are errors (with a did-you-mean),
/// every error carries `file:line:column` of the offending node.
public struct ScenarioParser: Sendable {
    public init() {}

    /// Reads and parses the file at `path`; `displayPath` names it in reports (default: `path`).
    public func parse(file path: String, displayPath: String? = nil) throws -> Scenario {
        guard let text = ScenarioParser.readFile(path) else {
            throw ScenarioError(.unreadable, at: SourceLocation(file: path, line: 1), "cannot read the file")
        }
        return try parse(yaml: text, file: path, displayPath: displayPath)
    }

    /// Parses scenario text; manifest paths are resolved against the directory of `file`.
    public func parse(yaml: String, file: String, displayPath: String? = nil) throws -> Scenario {
        let reader = NodeReader(file: file, text: yaml)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ScenarioError(
                    .missingKey, at: SourceLocation(file: file, line: 1), "expected a mapping with cluster: and steps:, found an empty document")
            }
            root = node
        } catch let error as ScenarioError {
            throw error
        } catch let error as YamlError {
            throw reader.yamlError(error)
        } catch {
            throw ScenarioError(.invalidYAML, at: SourceLocation(file: file, line: 1), "invalid YAML: \(error)")
        }
        let top = try reader.mapping(root, "the scenario", keys: ["name", "description", "cluster", "client", "steps"])
        let directory = ScenarioParser.directory(of: file)
        let name = try top["name"].map { try reader.string($0, "name") } ?? ScenarioParser.baseName(file)
        let description = try top["description"].map { try reader.string($0, "description") }
        guard let clusterNode = top["cluster"] else {
            throw ScenarioError(.missingKey, at: reader.location(root), "expected a cluster: key (manifests of the cluster the steps run in)")
        }
        let cluster = try readCluster(clusterNode, reader: reader, directory: directory)
        var client = ClientSpec()
        if let node = top["client"] {
            let map = try reader.mapping(node, "client", keys: ["namespace", "name", "resolver"])
            client.namespace = try map["namespace"].map { try reader.string($0, "client.namespace") }
            if let n = map["name"] { client.name = try reader.string(n, "client.name") }
            if let r = map["resolver"] { client.resolver = try reader.oneOf(r, "client.resolver", ["glibc", "musl", "bind"]) }
        }
        guard let stepsNode = top["steps"] else {
            throw ScenarioError(.missingKey, at: reader.location(root), "expected a steps: key (a list of steps)")
        }
        guard let sequence = stepsNode.sequence, !sequence.isEmpty else {
            throw ScenarioError(.invalidValue, at: reader.location(stepsNode), "steps: expected a non-empty list of steps")
        }
        var steps: [Step] = []
        var captured: Set<String> = []
        for (offset, node) in sequence.enumerated() {
            let step = try readStep(node, number: offset + 1, reader: reader, captured: captured, cluster: cluster, directory: directory)
            if let name = step.capture { captured.insert(name) }
            steps.append(step)
        }
        return Scenario(file: file, displayPath: displayPath ?? file, name: name, description: description, cluster: cluster, client: client, steps: steps)
    }

    // MARK: cluster

    func readCluster(_ node: Node, reader: NodeReader, directory: String) throws -> ClusterSpec {
        let map = try reader.mapping(node, "cluster", keys: ["manifests", "inline", "ttl", "zones", "pods", "answerOrder", "seed"])
        var spec = ClusterSpec()
        if let manifests = map["manifests"] {
            for item in try reader.stringList(manifests, "cluster.manifests") {
                let resolved = item.text.hasPrefix("/") ? item.text : directory + item.text
                guard ScenarioParser.exists(resolved) else {
                    throw ScenarioError(
                        .unknownReference, at: item.location, "cluster.manifests: no file or directory '\(item.text)' (resolved to \(resolved))")
                }
                spec.manifests.append(resolved)
            }
        }
        if let inline = map["inline"] {
            let location = reader.location(inline)
            // the block's indentation: leading spaces of its first non-empty line in the file
            let lines = reader.text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(location.line)
            let indentation = lines.first { !$0.allSatisfy { $0 == " " } }.map { $0.prefix { $0 == " " }.count } ?? 0
            spec.inline = ClusterSpec.InlineManifests(
                yaml: try reader.string(inline, "cluster.inline"), location: location,
                indentation: inline.scalar?.style == .literal || inline.scalar?.style == .folded ? indentation : 0)
            if !spec.manifests.isEmpty {
                throw ScenarioError(.invalidValue, at: reader.location(inline), "cluster: expected either manifests: or inline:, not both")
            }
        }
        if spec.manifests.isEmpty && spec.inline == nil {
            throw ScenarioError(
                .missingKey, at: reader.location(node), "cluster: expected manifests: (paths relative to the scenario file) or inline: (manifest YAML)")
        }
        if let ttl = map["ttl"] {
            let value = try reader.int(ttl, "cluster.ttl", range: 0...3600)
            spec.ttl = UInt32(value)
        }
        if let zones = map["zones"] {
            spec.zones = try reader.stringList(zones, "cluster.zones").map(\.text)
        }
        if let pods = map["pods"] { spec.pods = try reader.oneOf(pods, "cluster.pods", ["disabled", "insecure", "verified"]) }
        if let order = map["answerOrder"] { spec.answerOrder = try reader.oneOf(order, "cluster.answerOrder", ["shuffle", "rotate", "none"]) }
        if let seed = map["seed"] {
            guard let text = seed.scalar?.string, let value = UInt64(text) else {
                throw ScenarioError(.invalidValue, at: reader.location(seed), "cluster.seed: expected an unsigned integer")
            }
            spec.seed = value
        }
        return spec
    }

    // MARK: steps

    static let actionKeys = ["lookup", "http", "setReady", "deletePod", "deleteService", "apply"]
    static let lookupExpectations = ["rcode", "answers", "ordered", "count", "rotates", "searchQueries", "ttl", "cname", "srv"]
    static let httpExpectations = ["connectsTo", "servedBy", "distribution", "status", "body"]

    /// `captured`: the variables earlier steps capture; a `${NAME}` not among them is an error.
    func readStep(_ node: Node, number: Int, reader: NodeReader, captured: Set<String>, cluster: ClusterSpec, directory: String) throws -> Step {
        let map = try reader.mapping(node, "step \(number)", keys: ["name"] + ScenarioParser.actionKeys + ["capture", "expect"])
        // every ${NAME} in the step must name a variable an earlier step captured
        try ScenarioParser.checkReferences(node, reader: reader, captured: captured)
        let actions = ScenarioParser.actionKeys.filter { map[$0] != nil }
        guard actions.count == 1, let key = actions.first, let actionNode = map[key] else {
            let found = actions.isEmpty ? "none" : actions.joined(separator: ", ")
            throw ScenarioError(
                .invalidValue, at: reader.location(node),
                "step \(number): expected exactly one of lookup:, http:, setReady:, deletePod:, deleteService:, apply: (found \(found))")
        }
        let action: Step.Action
        let summary: String
        switch key {
        case "lookup":
            var lookup: Step.Lookup
            if let scalar = actionNode.scalar {
                lookup = Step.Lookup(name: scalar.string)
            } else {
                let m = try reader.mapping(actionNode, "lookup", keys: ["name", "type", "repeat", "transport"])
                guard let n = m["name"] else { throw ScenarioError(.missingKey, at: reader.location(actionNode), "lookup: expected a name: key") }
                lookup = Step.Lookup(name: try reader.string(n, "lookup.name"))
                if let t = m["type"] {
                    let text = try reader.string(t, "lookup.type")
                    guard let type = DNSType(mnemonic: text) else {
                        throw ScenarioError(
                            .invalidValue, at: reader.location(t), "lookup.type: expected a DNS type (A, AAAA, SRV, PTR, TXT…), found '\(text)'")
                    }
                    lookup.type = type
                }
                if let r = m["repeat"] { lookup.repeatCount = try reader.int(r, "lookup.repeat", range: 1...1000) }
                if let t = m["transport"] { lookup.transport = try reader.oneOf(t, "lookup.transport", ["udp", "tcp"]) }
            }
            guard !lookup.name.isEmpty, (try? DNSName(lookup.name.hasSuffix(".") ? lookup.name : lookup.name + ".")) != nil else {
                throw ScenarioError(.invalidValue, at: reader.location(actionNode), "lookup: expected a DNS name, found '\(lookup.name)'")
            }
            action = .lookup(lookup)
            summary = "lookup \(lookup.name) \(lookup.type)" + (lookup.repeatCount > 1 ? " ×\(lookup.repeatCount)" : "")
        case "http":
            var urlNode = actionNode
            var repeatCount = 1
            if actionNode.scalar == nil {
                let m = try reader.mapping(actionNode, "http", keys: ["url", "repeat"])
                guard let u = m["url"] else { throw ScenarioError(.missingKey, at: reader.location(actionNode), "http: expected a url: key") }
                urlNode = u
                if let r = m["repeat"] { repeatCount = try reader.int(r, "http.repeat", range: 1...1000) }
            }
            let url = try reader.string(urlNode, "http.url")
            guard var fetch = ScenarioParser.parseURL(url) else {
                throw ScenarioError(.invalidValue, at: reader.location(urlNode), "http.url: expected http://HOST[:PORT][/PATH], found '\(url)'")
            }
            fetch.repeatCount = repeatCount
            action = .http(fetch)
            summary = "http GET \(url)" + (repeatCount > 1 ? " ×\(repeatCount)" : "")
        case "setReady":
            let m = try reader.mapping(actionNode, "setReady", keys: ["pod", "ready"])
            guard let p = m["pod"], let r = m["ready"] else {
                throw ScenarioError(.missingKey, at: reader.location(actionNode), "setReady: expected pod: and ready:")
            }
            let pod = PodReference(parsing: try reader.string(p, "setReady.pod"), at: reader.location(p))
            let ready = try reader.bool(r, "setReady.ready")
            action = .setReady(pod: pod, ready: ready)
            summary = "setReady \(pod) \(ready)"
        case "apply":
            guard cluster.inline == nil else {
                let keyNode = map.first { $0.key.scalar?.string == "apply" }?.key ?? actionNode
                throw ScenarioError(.invalidValue, at: reader.location(keyNode), "apply: needs a cluster given by cluster.manifests (not inline:)")
            }
            var paths: [String] = []
            var written: [String] = []
            for item in try reader.stringList(actionNode, "apply") {
                let resolved = item.text.hasPrefix("/") ? item.text : directory + item.text
                guard ScenarioParser.exists(resolved) else {
                    throw ScenarioError(.unknownReference, at: item.location, "apply: no file or directory '\(item.text)' (resolved to \(resolved))")
                }
                paths.append(resolved)
                written.append(item.text)
            }
            action = .apply(Step.ApplyManifests(paths: paths, written: written))
            summary = "apply \(written.joined(separator: " "))"
        case "deleteService":
            let service = PodReference(parsing: try reader.string(actionNode, "deleteService"), at: reader.location(actionNode))
            action = .deleteService(service)
            summary = "deleteService \(service)"
        default:
            let pod = PodReference(parsing: try reader.string(actionNode, "deletePod"), at: reader.location(actionNode))
            action = .deletePod(pod)
            summary = "deletePod \(pod)"
        }
        let name = try map["name"].map { try reader.string($0, "step name") } ?? summary
        var expect = Expectations()
        if let expectNode = map["expect"] {
            let allowed: [String]
            switch key {
            case "lookup": allowed = ScenarioParser.lookupExpectations
            case "http": allowed = ScenarioParser.httpExpectations
            default:
                let keyNode = map.first { $0.key.scalar?.string == "expect" }?.key ?? expectNode
                throw ScenarioError(
                    .invalidValue, at: reader.location(keyNode),
                    "expect: a \(key) step changes the cluster and has no expectations; check the change with a following lookup: or http: step")
            }
            expect = try readExpect(expectNode, allowed: allowed, kind: key, reader: reader)
        }
        var capture: String?
        if let c = map["capture"] {
            let keyNode = map.first { $0.key.scalar?.string == "capture" }?.key ?? c
            guard key == "lookup" else {
                throw ScenarioError(.invalidValue, at: reader.location(keyNode), "capture: only lookup steps capture a value (the first answer)")
            }
            let variable = try reader.string(c, "capture")
            guard let first = variable.first, first.isLetter || first == "_", variable.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else {
                throw ScenarioError(.invalidValue, at: reader.location(c), "capture: expected a variable name (letters, digits, _), found '\(variable)'")
            }
            capture = variable
        }
        return Step(name: name, location: reader.location(node), action: action, expect: expect, capture: capture)
    }

    func readExpect(_ node: Node, allowed: [String], kind: String, reader: NodeReader) throws -> Expectations {
        let all = ScenarioParser.lookupExpectations + ScenarioParser.httpExpectations
        let map = try reader.mapping(node, "expect", keys: all)
        for (keyNode, _) in map {
            if let k = keyNode.scalar?.string, !allowed.contains(k) {
                throw ScenarioError(
                    .invalidValue, at: reader.location(keyNode),
                    "expect.\(k): applies to \(ScenarioParser.lookupExpectations.contains(k) ? "lookup" : "http") steps, not to a \(kind) step; expected one of \(allowed.joined(separator: ", "))"
                )
            }
        }
        var e = Expectations()
        if let n = map["rcode"] {
            let text = try reader.string(n, "expect.rcode")
            guard let code = DNSRCode(mnemonic: text) else {
                throw ScenarioError(
                    .invalidValue, at: reader.location(n), "expect.rcode: expected an rcode (NOERROR, NXDOMAIN, SERVFAIL, REFUSED…), found '\(text)'")
            }
            e.rcode = code
        }
        if let n = map["answers"] { e.answers = try reader.stringList(n, "expect.answers").map(\.text) }
        if let n = map["ordered"] { e.ordered = try reader.bool(n, "expect.ordered") }
        if let n = map["count"] { e.count = try reader.int(n, "expect.count", range: 0...100_000) }
        if let n = map["rotates"] { e.rotates = try reader.bool(n, "expect.rotates") }
        if let n = map["searchQueries"] { e.searchQueries = try reader.stringList(n, "expect.searchQueries").map(\.text) }
        if let n = map["ttl"] { e.ttl = UInt32(try reader.int(n, "expect.ttl", range: 0...2_147_483_647)) }
        if let n = map["cname"] { e.cname = try reader.stringList(n, "expect.cname").map(\.text) }
        if let n = map["srv"] { e.srv = try reader.stringList(n, "expect.srv").map(\.text) }
        if let n = map["connectsTo"] {
            if let scalar = n.scalar {
                switch scalar.string {
                case "pod-ips": e.connectsTo = .podIPs
                case "service-ip": e.connectsTo = .serviceIP
                default:
                    throw ScenarioError(
                        .invalidValue, at: reader.location(n),
                        "expect.connectsTo: expected pod-ips, service-ip or a list of addresses, found '\(scalar.string)'\(NodeReader.suggestion(scalar.string, ["pod-ips", "service-ip"]))"
                    )
                }
            } else {
                let items = try reader.stringList(n, "expect.connectsTo")
                for item in items where IPAddress(item.text) == nil && !item.text.contains("${") {
                    throw ScenarioError(.invalidValue, at: item.location, "expect.connectsTo: expected an IP address, found '\(item.text)'")
                }
                e.connectsTo = .addresses(items.map(\.text))
            }
        }
        if let n = map["servedBy"] {
            if n.sequence != nil {
                e.servedBy = .exactly(try reader.stringList(n, "expect.servedBy").map(\.text))
            } else {
                let m = try reader.mapping(n, "expect.servedBy", keys: ["atLeast"])
                guard let a = m["atLeast"] else {
                    throw ScenarioError(.missingKey, at: reader.location(n), "expect.servedBy: expected atLeast: N or a list of pods")
                }
                e.servedBy = .atLeast(try reader.int(a, "expect.servedBy.atLeast", range: 1...100_000))
            }
        }
        if let n = map["distribution"] {
            guard let pods = n.mapping, !pods.isEmpty else {
                throw ScenarioError(.invalidValue, at: reader.location(n), "expect.distribution: expected a mapping of pod names to {min: N, max: M}")
            }
            var bounds: [Expectations.PodBounds] = []
            for (key, value) in pods {
                let pod = try reader.string(key, "expect.distribution key")
                let m = try reader.mapping(value, "expect.distribution.\(pod)", keys: ["min", "max"])
                guard m["min"] != nil || m["max"] != nil else {
                    throw ScenarioError(.missingKey, at: reader.location(value), "expect.distribution.\(pod): expected min:, max: or both")
                }
                let low = try m["min"].map { try reader.int($0, "expect.distribution.\(pod).min", range: 0...100_000) } ?? 0
                let high = try m["max"].map { try reader.int($0, "expect.distribution.\(pod).max", range: 0...100_000) } ?? 100_000
                guard low <= high else {
                    throw ScenarioError(.invalidValue, at: reader.location(value), "expect.distribution.\(pod): min \(low) is above max \(high)")
                }
                bounds.append(Expectations.PodBounds(pod: pod, min: low, max: high))
            }
            e.distribution = bounds
        }
        if let n = map["status"] { e.status = try reader.int(n, "expect.status", range: 100...599) }
        if let n = map["body"] {
            if let scalar = n.scalar {
                e.body = .text(scalar.string)
            } else {
                let m = try reader.mapping(n, "expect.body", keys: ["regex"])
                guard let r = m["regex"] else { throw ScenarioError(.missingKey, at: reader.location(n), "expect.body: expected text or regex:") }
                let pattern = try reader.string(r, "expect.body.regex")
                do {
                    _ = try Regex(pattern)
                } catch {
                    throw ScenarioError(.invalidValue, at: reader.location(r), "expect.body.regex: not a valid regular expression: \(error)")
                }
                e.body = .regex(pattern)
            }
        }
        return e
    }

    // MARK: helpers

    /// Walks every scalar of a step for `${NAME}` references to variables not captured yet.
    static func checkReferences(_ node: Node, reader: NodeReader, captured: Set<String>) throws {
        switch node {
        case .scalar(let scalar):
            for name in Step.references(in: scalar.string) where !captured.contains(name) {
                let known = captured.sorted()
                throw ScenarioError(
                    .unknownReference, at: reader.location(node),
                    "${\(name)}: no earlier step captures '\(name)'"
                        + (known.isEmpty ? " (capture: NAME on a lookup step defines one)" : NodeReader.suggestion(name, known)))
            }
        case .mapping(let mapping):
            for (key, value) in mapping {
                try checkReferences(key, reader: reader, captured: captured)
                try checkReferences(value, reader: reader, captured: captured)
            }
        case .sequence(let sequence):
            for item in sequence { try checkReferences(item, reader: reader, captured: captured) }
        default:
            break
        }
    }

    /// `http://host[:port][/path]`.
    static func parseURL(_ url: String) -> Step.HTTPFetch? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = String(authority)
        var port: UInt16 = 80
        if let colon = authority.lastIndex(of: ":") {
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { return nil }
            port = p
            host = String(authority[..<colon])
        }
        guard !host.isEmpty, !host.contains("@"), !host.contains("[") else { return nil }
        return Step.HTTPFetch(url: url, host: host, port: port, path: path)
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return String(file[...slash])
    }

    static func baseName(_ file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count { break }
        }
        if ferror(file) != 0 { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
