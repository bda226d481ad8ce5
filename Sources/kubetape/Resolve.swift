import ArgumentParser
import ClusterDNS
import ClusterModel
import DNSWire

/// `kubetape resolve`: what `nslookup NAME` (or `dig +search NAME`) prints inside a pod of the
/// cluster the manifests describe, computed without any network, with every query of the pod's
/// search walk and its rcode.
struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve a name as a pod would, against the manifests' cluster DNS, offline.",
        discussion: """
            Prints one line per query of the search walk (';; NAME. TYPE: RCODE'), then what BIND's \
            nslookup (default) or 'dig +search' would print in that pod. Without --from, NAME is taken \
            as fully qualified. Exits 0 when the tool finds an answer or NODATA, 1 when it prints \
            "server can't find" (NXDOMAIN, REFUSED, SERVFAIL), 2 on bad input. See docs/cluster-dns.md.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case nslookup
        case dig
    }

    @Argument(help: "The name to resolve, as typed in the pod (e.g. quote-headless, quote.kiada, 10.96.0.10 with --type PTR).")
    var name: String

    @Option(help: "Query type: A, AAAA, SRV, PTR, TXT, ANY… (nslookup default: A then AAAA).")
    var type: String?

    @Option(help: "The pod asking, NAMESPACE/POD; its resolv.conf is built as the kubelet would.")
    var from: String?

    @Option(help: "Output format: nslookup (BIND nslookup) or dig (dig +search).")
    var format: Format = .nslookup

    @Option(help: "Answer order: shuffle (loadbalance, seeded), rotate, none.")
    var order: ClusterDNSOptions.AnswerOrder = .shuffle

    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        if let type, DNSType(mnemonic: type) == nil { throw ValidationError("--type \(type) is not a DNS type") }
        if let from {
            let parts = from.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--from takes NAMESPACE/POD, not '\(from)'") }
        }
        guard !name.isEmpty else { throw ValidationError("NAME must not be empty") }
    }

    func run() throws {
        let model = try cluster.loadCluster()
        var options = try cluster.dnsOptions()
        options.answerOrder = order
        let qtype = type.flatMap { DNSType(mnemonic: $0) }
        var queryName = name
        if qtype == .ptr, let address = IPAddress(name) {
            // nslookup turns an address into its reverse name
            queryName = Resolve.reverseName(address)
        }
        let kubelet = KubeletDNS(cluster: model, clusterDomain: Resolve.text(options.clusterDomain))
        let resolvConf: ResolvConf
        if let from {
            let parts = from.split(separator: "/").map(String.init)
            let pod: Pod
            if let found = model.pods.first(where: { $0.meta.namespace == parts[0] && $0.meta.name == parts[1] }) {
                pod = found
            } else {
                FileHandleOutput.standardError("note: pod \(from) is not in the manifests; assuming a ClusterFirst pod in namespace \(parts[0])")
                pod = Pod(meta: ObjectMeta(name: parts[1], namespace: parts[0]))
            }
            let (conf, warnings) = kubelet.resolvConf(for: pod)
            for warning in warnings { FileHandleOutput.standardError("warning: \(warning)") }
            resolvConf = conf
            if let server = conf.nameservers.first, server != model.network.dnsServiceIP.description {
                FileHandleOutput.standardError(
                    "note: \(from) uses nameserver \(server), not the cluster DNS \(model.network.dnsServiceIP); answering as the cluster DNS anyway")
            }
        } else {
            resolvConf = ResolvConf(nameservers: [model.network.dnsServiceIP.description], options: [.init(name: "ndots", value: "5")])
            if !queryName.hasSuffix(".") { queryName += "." }
        }
        var responder = ClusterDNSResponder(cluster: model, options: options)
        let transcript: ToolTranscript
        do {
            transcript = try ToolTranscript.run(format == .dig ? .dig : .nslookup, name: queryName, type: qtype, resolvConf: resolvConf) {
                responder.respond(to: $0)
            }
        } catch let error as ClusterDNSError {
            throw BadInput("\(name): \(error.reason)")
        }
        var out = ""
        for exchange in transcript.exchanges {
            out += ";; \(exchange.name) \(exchange.type): \(Resolve.summary(exchange.reply))\n"
        }
        out += transcript.output
        print(out, terminator: "")
        if transcript.exitStatus != 0 { throw ExitCode(transcript.exitStatus) }
    }

    static func summary(_ reply: DNSMessage) -> String {
        guard reply.rcode == .noError else { return reply.rcode.description }
        if reply.answers.isEmpty { return "NOERROR (NODATA)" }
        return "NOERROR, \(reply.answers.count) answer\(reply.answers.count == 1 ? "" : "s")"
    }

    static func text(_ name: DNSName) -> String {
        let t = name.description
        return t.hasSuffix(".") ? String(t.dropLast()) : t
    }

    static func reverseName(_ address: IPAddress) -> String {
        switch address {
        case .v4(let v4):
            return v4.octets.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa."
        case .v6(let v6):
            var nibbles: [String] = []
            for octet in v6.octets.reversed() {
                nibbles.append(String(octet & 0xf, radix: 16))
                nibbles.append(String(octet >> 4, radix: 16))
            }
            return nibbles.joined(separator: ".") + ".ip6.arpa."
        }
    }
}

extension ClusterDNSOptions.AnswerOrder: ExpressibleByArgument {}
