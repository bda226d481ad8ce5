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
            let map = try reader.mapping(node, "client", keys: ["namespace", "name", "resolver", "dnsPolicy", "dnsConfig", "cache"])
            client.namespace = try map["namespace"].map { try reader.string($0, "client.namespace") }
            if let n = map["name"] { client.name = try reader.string(n, "client.name") }
            if let r = map["resolver"] { client.resolver = try reader.oneOf(r, "client.resolver", ["glibc", "musl", "bind"]) }
            if let p = map["dnsPolicy"] { client.dnsPolicy = try reader.oneOf(p, "client.dnsPolicy", DNSPolicy.allCases.map(\.rawValue)) }
            if let c = map["dnsConfig"] { client.dnsConfig = try readDNSConfig(c, reader: reader) }
            if let c = map["cache"] { client.cache = try reader.bool(c, "client.cache") }
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
        if cluster.plan == "loopback", let exec = steps.first(where: { if case .exec = $0.action { return true } else { return false } }) {
            throw ScenarioError(
                .invalidValue, at: exec.location,
                "exec: runs an unmodified program in the client pod's network namespace, which needs cluster.plan: netns (or no plan), not loopback")
        }
        return Scenario(file: file, displayPath: displayPath ?? file, name: name, description: description, cluster: cluster, client: client, steps: steps)
    }

    // MARK: cluster

    func readCluster(_ node: Node, reader: NodeReader, directory: String) throws -> ClusterSpec {
        let map = try reader.mapping(
            node, "cluster",
            keys: ["manifests", "inline", "ttl", "zones", "pods", "answerOrder", "seed", "podCIDR", "serviceCIDR", "dnsServiceIP", "plan", "upstream"])
        var spec = ClusterSpec()
        if let manifests = map["manifests"] {
            let items = try reader.stringList(manifests, "cluster.manifests")
            guard !items.isEmpty else {
                throw ScenarioError(.invalidValue, at: reader.location(manifests), "cluster.manifests: expected a path or a list of paths, found an empty list")
            }
            for item in items {
                guard !item.text.isEmpty else {
                    throw ScenarioError(.invalidValue, at: item.location, "cluster.manifests: expected a path (a file or directory), found an empty string")
                }
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
            if map["manifests"] != nil {
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
        for (key, what) in [("podCIDR", "cluster.podCIDR"), ("serviceCIDR", "cluster.serviceCIDR")] {
            guard let n = map[key] else { continue }
            let items = n.scalar != nil ? [(text: try reader.string(n, what), location: reader.location(n))] : try reader.stringList(n, what)
            var families: Set<Bool> = []
            for item in items {
                guard let cidr = CIDR(item.text) else {
                    throw ScenarioError(
                        .invalidValue, at: item.location, "\(what): expected a prefix such as 10.244.0.0/16 or fd00:10:244::/56, found '\(item.text)'")
                }
                guard families.insert(cidr.address.isIPv4).inserted else {
                    throw ScenarioError(.invalidValue, at: item.location, "\(what): at most one prefix per IP family (dual-stack: one IPv4 and one IPv6)")
                }
            }
            if key == "podCIDR" { spec.podCIDRs = items.map(\.text) } else { spec.serviceCIDRs = items.map(\.text) }
        }
        if let n = map["dnsServiceIP"] {
            let text = try reader.string(n, "cluster.dnsServiceIP")
            guard IPAddress(text) != nil else {
                throw ScenarioError(.invalidValue, at: reader.location(n), "cluster.dnsServiceIP: expected an IP address, found '\(text)'")
            }
            spec.dnsServiceIP = text
        }
        if let n = map["plan"] { spec.plan = try reader.oneOf(n, "cluster.plan", ["loopback", "netns"]) }
        if let n = map["upstream"] {
            let text = try reader.string(n, "cluster.upstream")
            do {
                spec.upstream = try ZoneFileParser(origin: .root, defaultTTL: 30).parse(text)
            } catch let error as DNSWireError {
                // a block scalar's lines start on the line after `upstream: |`
                let block = n.scalar?.style == .literal || n.scalar?.style == .folded
                let start = reader.location(n)
                let line = block ? start.line + (error.offset ?? 1) : start.line
                throw ScenarioError(
                    .invalidValue, at: SourceLocation(file: start.file, line: line, column: block ? 1 : start.column),
                    "cluster.upstream: expected zone-file records (NAME [TTL] [IN] TYPE RDATA): \(ZoneFileParser.reasonWithoutLine(error))")
            }
        }
        return spec
    }

    /// `dnsConfig:` as in a pod spec: nameservers, searches, options (name, value).
    func readDNSConfig(_ node: Node, reader: NodeReader) throws -> PodDNSConfig {
        let map = try reader.mapping(node, "client.dnsConfig", keys: ["nameservers", "searches", "options"])
        var config = PodDNSConfig()
        if let n = map["nameservers"] {
            for item in try reader.stringList(n, "client.dnsConfig.nameservers") {
                guard IPAddress(item.text) != nil else {
                    throw ScenarioError(.invalidValue, at: item.location, "client.dnsConfig.nameservers: expected an IP address, found '\(item.text)'")
                }
                config.nameservers.append(item.text)
            }
        }
        if let n = map["searches"] { config.searches = try reader.stringList(n, "client.dnsConfig.searches").map(\.text) }
        if let n = map["options"] {
            guard let items = n.sequence else {
                throw ScenarioError(.invalidValue, at: reader.location(n), "client.dnsConfig.options: expected a list of {name:, value:}")
            }
            for item in items {
                let option = try reader.mapping(item, "client.dnsConfig.options item", keys: ["name", "value"])
                guard let name = option["name"] else {
                    throw ScenarioError(.missingKey, at: reader.location(item), "client.dnsConfig.options: expected name: (ndots, timeout, attempts…)")
                }
                config.options.append(
                    (
                        name: try reader.string(name, "client.dnsConfig.options.name"),
                        value: try option["value"].map { try reader.string($0, "client.dnsConfig.options.value") }
                    ))
            }
        }
        return config
    }

    // MARK: steps

    static let actionKeys = ["lookup", "http", "exec", "setReady", "deletePod", "deleteService", "apply", "scale", "wait"]
    static let lookupExpectations = [
        "rcode", "answers", "ordered", "count", "rotates", "searchQueries", "ttl", "cname", "srv", "queries", "noUnexpectedQueries",
    ]
    static let httpExpectations = ["connectsTo", "servedBy", "distribution", "status", "body", "searchQueries", "queries", "noUnexpectedQueries"]
    static let execExpectations = ["exitCode", "output", "connectsTo", "servedBy", "distribution", "searchQueries", "queries", "noUnexpectedQueries"]

    /// The expectations a step kind accepts.
    static func expectations(of kind: String) -> [String] {
        switch kind {
        case "lookup": return lookupExpectations
        case "http": return httpExpectations
        case "exec": return execExpectations
        default: return []
        }
    }

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
                "step \(number): expected exactly one of \(ScenarioParser.actionKeys.map { $0 + ":" }.joined(separator: ", ")) (found \(found))")
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
            var newConnectionEachTime = true
            if actionNode.scalar == nil {
                let m = try reader.mapping(actionNode, "http", keys: ["url", "repeat", "newConnectionEachTime"])
                guard let u = m["url"] else { throw ScenarioError(.missingKey, at: reader.location(actionNode), "http: expected a url: key") }
                urlNode = u
                if let r = m["repeat"] { repeatCount = try reader.int(r, "http.repeat", range: 1...1000) }
                if let n = m["newConnectionEachTime"] { newConnectionEachTime = try reader.bool(n, "http.newConnectionEachTime") }
            }
            let url = try reader.string(urlNode, "http.url")
            guard var fetch = ScenarioParser.parseURL(url) else {
                throw ScenarioError(.invalidValue, at: reader.location(urlNode), "http.url: expected http://HOST[:PORT][/PATH], found '\(url)'")
            }
            fetch.repeatCount = repeatCount
            fetch.newConnectionEachTime = newConnectionEachTime
            action = .http(fetch)
            summary = "http GET \(url)" + (repeatCount > 1 ? " ×\(repeatCount)" : "") + (newConnectionEachTime ? "" : " on one connection")
        case "exec":
            var commandNode = actionNode
            var timeout = 30_000
            if actionNode.mapping != nil {
                let m = try reader.mapping(actionNode, "exec", keys: ["command", "timeout"])
                guard let c = m["command"] else {
                    throw ScenarioError(.missingKey, at: reader.location(actionNode), "exec: expected a command: key (a shell command or a list of arguments)")
                }
                commandNode = c
                if let t = m["timeout"] { timeout = try ScenarioParser.duration(t, "exec.timeout", reader: reader, range: 1...600_000) }
            }
            var command: Step.Command
            if commandNode.sequence != nil {
                let words = try reader.stringList(commandNode, "exec.command").map(\.text)
                guard !words.isEmpty, !words[0].isEmpty else {
                    throw ScenarioError(.invalidValue, at: reader.location(commandNode), "exec.command: expected the program and its arguments")
                }
                command = Step.Command(arguments: words, written: words.map(ScenarioParser.shellQuoted).joined(separator: " "))
            } else {
                let text = try reader.string(commandNode, "exec.command")
                guard !text.allSatisfy(\.isWhitespace) else {
                    throw ScenarioError(.invalidValue, at: reader.location(commandNode), "exec.command: expected a command, found an empty string")
                }
                command = Step.Command(arguments: ["/bin/sh", "-c", text], written: text)
            }
            command.timeoutMilliseconds = timeout
            action = .exec(command)
            summary = "exec \(command.written)"
        case "scale":
            let m = try reader.mapping(actionNode, "scale", keys: ["name", "kind", "replicas"])
            guard let n = m["name"], let r = m["replicas"] else {
                throw ScenarioError(
                    .missingKey, at: reader.location(actionNode), "scale: expected name: (a Deployment, ReplicaSet or StatefulSet) and replicas:")
            }
            let workload = PodReference(parsing: try reader.string(n, "scale.name"), at: reader.location(n))
            let kind = try m["kind"].map { Workload.Kind(rawValue: try reader.oneOf($0, "scale.kind", Workload.Kind.allCases.map(\.rawValue))) } ?? nil
            let replicas = try reader.int(r, "scale.replicas", range: 0...1000)
            action = .scale(Step.Scale(workload: workload, kind: kind, replicas: replicas))
            summary = "scale \(workload) to \(replicas)"
        case "wait":
            let milliseconds = try ScenarioParser.duration(actionNode, "wait", reader: reader, range: 1...86_400_000)
            action = .wait(milliseconds: milliseconds)
            summary = "wait \(ScenarioParser.durationText(milliseconds))"
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
            let items = try reader.stringList(actionNode, "apply")
            guard !items.isEmpty else {
                throw ScenarioError(.invalidValue, at: reader.location(actionNode), "apply: expected a path or a list of paths, found an empty list")
            }
            for item in items {
                guard !item.text.isEmpty else {
                    throw ScenarioError(.invalidValue, at: item.location, "apply: expected a path (a file or directory), found an empty string")
                }
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
            let allowed = ScenarioParser.expectations(of: key)
            if allowed.isEmpty {
                let keyNode = map.first { $0.key.scalar?.string == "expect" }?.key ?? expectNode
                throw ScenarioError(
                    .invalidValue, at: reader.location(keyNode),
                    "expect: a \(key) step \(key == "wait" ? "advances the clock" : "changes the cluster") and has no expectations; check the change with a following lookup:, http: or exec: step"
                )
            }
            expect = try readExpect(expectNode, allowed: allowed, kind: key, reader: reader)
        }
        var capture: String?
        if let c = map["capture"] {
            let keyNode = map.first { $0.key.scalar?.string == "capture" }?.key ?? c
            guard ["lookup", "http", "exec"].contains(key) else {
                throw ScenarioError(
                    .invalidValue, at: reader.location(keyNode),
                    "capture: only lookup (first answer), http (the serving pod) and exec (first line of output) steps capture a value")
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
        let all = ScenarioParser.distinctKeys(ScenarioParser.lookupExpectations + ScenarioParser.httpExpectations + ScenarioParser.execExpectations)
        let map = try reader.mapping(node, "expect", keys: all)
        for (keyNode, _) in map {
            if let k = keyNode.scalar?.string, !allowed.contains(k) {
                let kinds = ["lookup", "http", "exec"].filter { ScenarioParser.expectations(of: $0).contains(k) }
                throw ScenarioError(
                    .invalidValue, at: reader.location(keyNode),
                    "expect.\(k): applies to \(kinds.joined(separator: " and ")) steps, not to a \(kind) step; expected one of \(allowed.joined(separator: ", "))"
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
            } else if let scalar = n.scalar {
                guard scalar.string == "all" else {
                    throw ScenarioError(
                        .invalidValue, at: reader.location(n),
                        "expect.servedBy: expected all, a list of pods, {atLeast: N} or {atMost: N}, found '\(scalar.string)'")
                }
                e.servedBy = .all
            } else {
                let m = try reader.mapping(n, "expect.servedBy", keys: ["atLeast", "atMost"])
                if let a = m["atLeast"], m["atMost"] == nil {
                    e.servedBy = .atLeast(try reader.int(a, "expect.servedBy.atLeast", range: 1...100_000))
                } else if let a = m["atMost"], m["atLeast"] == nil {
                    e.servedBy = .atMost(try reader.int(a, "expect.servedBy.atMost", range: 0...100_000))
                } else {
                    throw ScenarioError(.missingKey, at: reader.location(n), "expect.servedBy: expected one of atLeast: N and atMost: N")
                }
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
        if let n = map["body"] { e.body = try readMatch(n, "expect.body", reader: reader) }
        if let n = map["output"] { e.output = try readMatch(n, "expect.output", reader: reader) }
        if let n = map["exitCode"] { e.exitCode = try reader.int(n, "expect.exitCode", range: 0...255) }
        if let n = map["queries"] {
            let items = try reader.stringList(n, "expect.queries")
            for item in items where !item.text.contains("${") && (try? DNSName(item.text.hasSuffix(".") ? item.text : item.text + ".")) == nil {
                throw ScenarioError(.invalidValue, at: item.location, "expect.queries: expected a DNS name, found '\(item.text)'")
            }
            e.queries = items.map(\.text)
        }
        if let n = map["noUnexpectedQueries"] { e.noUnexpectedQueries = try reader.bool(n, "expect.noUnexpectedQueries") }
        return e
    }

    /// Text to compare literally, or `{regex: PATTERN}` that must match the whole text.
    func readMatch(_ n: Node, _ what: String, reader: NodeReader) throws -> Expectations.BodyMatch {
        if let scalar = n.scalar { return .text(scalar.string) }
        let m = try reader.mapping(n, what, keys: ["regex"])
        guard let r = m["regex"] else { throw ScenarioError(.missingKey, at: reader.location(n), "\(what): expected text or regex:") }
        let pattern = try reader.string(r, "\(what).regex")
        do {
            _ = try Regex(pattern)
        } catch {
            throw ScenarioError(.invalidValue, at: reader.location(r), "\(what).regex: not a valid regular expression: \(error)")
        }
        return .regex(pattern)
    }

    static func distinctKeys(_ keys: [String]) -> [String] {
        var seen: Set<String> = []
        return keys.filter { seen.insert($0).inserted }
    }

    /// `30s`, `1500ms`, `2m`, `1h`, or a number of seconds, in milliseconds.
    static func duration(_ node: Node, _ what: String, reader: NodeReader, range: ClosedRange<Int>) throws -> Int {
        let written = try reader.string(node, what)
        let text = String(written.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        let units: [(suffix: String, factor: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("", 1000)]
        var value: Double?
        // digits with an optional decimal fraction, then a unit (none: seconds)
        if let unit = units.first(where: { text.hasSuffix($0.suffix) && ScenarioParser.isDecimal(text.dropLast($0.suffix.count)) }) {
            value = Double(text.dropLast(unit.suffix.count)).map { $0 * unit.factor }
        }
        guard let value, value.isFinite, value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw ScenarioError(
                .invalidValue, at: reader.location(node),
                "\(what): expected a duration from \(durationText(range.lowerBound)) to \(durationText(range.upperBound)) such as 30s, 1500ms or 2m, found '\(text)'"
            )
        }
        return Int(value.rounded())
    }

    /// `12` or `1.5`: ASCII digits with at most one decimal point between digits.
    static func isDecimal(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// `1500ms`, `30s`, `2m`, `1h` (the largest unit that divides exactly).
    public static func durationText(_ milliseconds: Int) -> String {
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    /// A word as a POSIX shell would need it quoted to mean itself.
    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0)) }
        return plain && !word.isEmpty ? word : "'" + word.replacing("'", with: "'\\''") + "'"
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
        guard !host.isEmpty, !host.contains("@"), !host.contains("["), !host.contains(":") else { return nil }
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
