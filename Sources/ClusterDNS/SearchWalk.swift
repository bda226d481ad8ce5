import DNSWire

/// Which stub resolver walks the search list.
public enum StubResolver: String, Hashable, Sendable, CaseIterable {
    /// glibc `res_search` (getaddrinfo, gethostbyname): as-is first when dots ≥ ndots, search
    /// domains, the bare name last; continues after NXDOMAIN, NODATA and SERVFAIL.
    case glibc
    /// musl `name_from_dns_search`: search only when dots < ndots; NODATA and SERVFAIL end the walk.
    case musl
    /// BIND `dig +search` and `nslookup`: as-is only when dots ≥ ndots, else search domains then
    /// the bare name; only NXDOMAIN moves on.
    case bind
}

/// One walk of a stub resolver through a pod's search list: every query sent, in order, with its
/// reply, and how the walk ended.
public struct SearchWalk: Sendable {
    /// One query and the reply it got.
    public struct Exchange: Sendable {
        /// The query as the resolver sent it.
        public var query: DNSMessage
        /// The cluster DNS's reply.
        public var reply: DNSMessage
        /// The name asked.
        public var name: DNSName { query.questions.first?.name ?? .root }
        /// The type asked.
        public var type: DNSType { query.questions.first?.type ?? .a }
        /// The reply's rcode.
        public var rcode: DNSRCode { reply.rcode }
        /// NOERROR with at least one answer record.
        public var hasAnswer: Bool { reply.rcode == .noError && !reply.answers.isEmpty }
    }

    /// How a failed walk ended, in the resolver's terms.
    public enum Failure: String, Hashable, Sendable {
        /// HOST_NOT_FOUND / EAI_NONAME: every candidate was NXDOMAIN.
        case nameNotFound
        /// NO_DATA / EAI_NODATA.
        case noData
        /// TRY_AGAIN / EAI_AGAIN (SERVFAIL).
        case tryAgain
        /// NO_RECOVERY / EAI_FAIL (REFUSED, NOTIMP, FORMERR…).
        case noRecovery
    }

    /// Every exchange, in the order sent.
    public var exchanges: [Exchange] = []
    /// The candidate names in the order the resolver would try them (not all may have been tried).
    public var candidates: [DNSName] = []
    /// The candidate that ended the walk (answered, or failed last).
    public var finalName: DNSName?
    /// `nil` when the walk found an answer.
    public var failure: Failure?

    /// The exchanges of the final candidate.
    public var finalExchanges: [Exchange] {
        guard let finalName else { return [] }
        return exchanges.filter { $0.name.isIdentical(to: finalName) }
    }

    /// An empty walk.
    public init() {}

    /// The names `resolver` would try for `name`, in order.
    public static func candidates(for name: String, resolvConf: ResolvConf, resolver: StubResolver) throws -> [DNSName] {
        guard !name.isEmpty else { throw ClusterDNSError(.badName, "empty name") }
        let trailingDot = name.hasSuffix(".")
        let dots = name.utf8.filter { $0 == UInt8(ascii: ".") }.count
        let ndots = resolvConf.ndots
        func absolute(_ text: String) throws -> DNSName {
            do {
                return try DNSName(text.hasSuffix(".") ? text : text + ".")
            } catch {
                throw ClusterDNSError(.badName, "'\(text)' is not a valid name: \(error)")
            }
        }
        var searches = resolvConf.searches
        if resolver == .musl {
            // musl reads the search line into a 256-octet buffer
            let line = String(decoding: Array(searches.joined(separator: " ").utf8.prefix(255)), as: UTF8.self)
            searches = line.split(separator: " ").map(String.init)
        }
        func joined(_ domain: String) throws -> DNSName {
            let d = domain.hasPrefix(".") ? String(domain.dropFirst()) : domain
            return try absolute(d.isEmpty ? name : name + "." + d)
        }
        switch resolver {
        case .glibc:
            if trailingDot { return [try absolute(name)] }
            var out: [DNSName] = []
            var triedAsIs = false
            if dots >= ndots {
                out.append(try absolute(name))
                triedAsIs = true
            }
            var rootOnList = false
            for domain in searches {
                let d = domain.hasPrefix(".") ? String(domain.dropFirst()) : domain
                if d.isEmpty { rootOnList = true }
                if let candidate = try? joined(domain) { out.append(candidate) }
            }
            if !triedAsIs && !rootOnList { out.append(try absolute(name)) }
            return out
        case .musl:
            if trailingDot || dots >= ndots { return [try absolute(name)] }
            return searches.compactMap { try? joined($0) } + [try absolute(name)]
        case .bind:
            if trailingDot || dots >= ndots { return [try absolute(name)] }
            return searches.compactMap { try? joined($0) } + [try absolute(name)]
        }
    }

    /// Walks the search list for `name`, sending `types` for each candidate (A and AAAA for
    /// getaddrinfo; one type for dig). `ask` is the cluster DNS (or any server model); query IDs
    /// count up from `firstID`.
    ///
    /// glibc stops at the first candidate where any reply has an answer; it moves on after
    /// NXDOMAIN, NODATA and SERVFAIL; REFUSED and other errors end the search-domain loop, after
    /// which the bare name is still tried if it was not yet (res_query.c). musl checks A then AAAA:
    /// NXDOMAIN moves on, SERVFAIL and other errors stop, NODATA stops. BIND tools move on only after
    /// NXDOMAIN (only the first type is walked; nslookup's AAAA follow-up is the caller's).
    public static func walk(
        _ name: String, types: [DNSType], resolvConf: ResolvConf, resolver: StubResolver, edns: EDNS? = nil, firstID: UInt16 = 1,
        ask: (DNSMessage) -> DNSMessage
    ) throws -> SearchWalk {
        var walk = SearchWalk()
        let names = try candidates(for: name, resolvConf: resolvConf, resolver: resolver)
        walk.candidates = names
        var id = firstID
        func send(_ candidate: DNSName, _ type: DNSType) -> Exchange {
            let query = DNSMessage.query(id: id, name: candidate, type: type, recursionDesired: true, edns: edns)
            id &+= 1
            let exchange = Exchange(query: query, reply: ask(query))
            walk.exchanges.append(exchange)
            return exchange
        }
        let walkedTypes = resolver == .bind ? Array(types.prefix(1)) : types
        var gotNoData = false
        var gotServFail = false
        let trailingDot = name.hasSuffix(".")
        let dots = name.utf8.filter { $0 == UInt8(ascii: ".") }.count
        let asIsFirst = resolver == .glibc && !trailingDot && dots >= resolvConf.ndots
        var searchStopped = false
        var savedFailure: Failure?
        var lastFailure: Failure?
        for (position, candidate) in names.enumerated() {
            // glibc: after an error ends the search loop, only the final bare name is still tried
            if searchStopped {
                let isFinalAsIs = position == names.count - 1 && !asIsFirst
                if !isFinalAsIs { continue }
            }
            walk.finalName = candidate
            let replies = walkedTypes.map { send(candidate, $0) }
            switch resolver {
            case .glibc:
                if replies.contains(where: \.hasAnswer) {
                    walk.failure = nil
                    return walk
                }
                let rcodes = replies.map(\.rcode)
                let failure: Failure
                if rcodes.contains(where: { $0 != .noError && $0 != .nxDomain && $0 != .servFail }) {
                    failure = .noRecovery
                } else if rcodes.contains(.servFail) {
                    failure = .tryAgain
                    gotServFail = true
                } else if rcodes.contains(.noError) {
                    failure = .noData
                    gotNoData = true
                } else {
                    failure = .nameNotFound
                }
                lastFailure = failure
                let isAsIsFirst = position == 0 && asIsFirst
                if isAsIsFirst { savedFailure = failure }
                if trailingDot { break }
                if failure == .noRecovery && !(position == names.count - 1 && !asIsFirst) {
                    // the search-domain loop ends; the bare name may still follow
                    searchStopped = true
                }
            case .musl:
                var verdict: Failure?? = nil
                for reply in replies {
                    switch reply.rcode {
                    case .servFail: verdict = .some(.tryAgain)
                    case .nxDomain: verdict = .some(.nameNotFound)
                    case .noError: continue
                    default: verdict = .some(.noRecovery)
                    }
                    break
                }
                switch verdict {
                case .some(.some(.nameNotFound)):
                    walk.failure = .nameNotFound
                    continue
                case .some(.some(let failure)):
                    walk.failure = failure
                    return walk
                default:
                    let count = replies.reduce(0) { total, exchange in
                        total + exchange.reply.answers.filter { $0.type == exchange.type }.count
                    }
                    walk.failure = count > 0 ? nil : .noData
                    return walk
                }
            case .bind:
                let reply = replies[0]
                if reply.rcode == .nxDomain {
                    walk.failure = .nameNotFound
                    continue
                }
                switch reply.rcode {
                case .noError: walk.failure = reply.reply.answers.isEmpty ? .noData : nil
                case .servFail: walk.failure = .tryAgain
                default: walk.failure = .noRecovery
                }
                return walk
            }
        }
        if resolver == .glibc {
            // res_query.c: the as-is query's error if it was tried first, else NO_DATA if any
            // candidate had it, else TRY_AGAIN after a SERVFAIL, else the last error
            walk.failure = savedFailure ?? (gotNoData ? .noData : (gotServFail ? .tryAgain : lastFailure))
        }
        return walk
    }
}
