import ClusterModel
import DNSWire

/// Answers DNS queries exactly as CoreDNS v1.14.7 with the `kubernetes` plugin (and `loadbalance`)
/// answers them for a `Cluster`; see `docs/cluster-dns.md` and `k8s-dns.md`.
///
/// A value: `respond(to:)` is a pure function of the query, the index and the responder's own
/// state (the seeded generator behind the shuffle and the rotation counters), so the same seed and
/// the same queries give byte-identical replies. It never forwards anything anywhere.
public struct ClusterDNSResponder: Sendable {
    /// The cluster's index and the options.
    public let index: ClusterDNSIndex
    private var generator: SeededGenerator
    private var rotations: [RotationKey: Int] = [:]
    /// Names (and types) with a rotation counter, for tests of its bound.
    var rotationCounters: Int { rotations.count }

    struct RotationKey: Hashable {
        let name: [UInt8]
        let type: UInt16
    }

    /// A responder over a built index; the generator starts from `index.options.seed`.
    public init(index: ClusterDNSIndex) {
        self.index = index
        generator = SeededGenerator(seed: index.options.seed)
    }

    /// A responder whose shuffle draws from `generator` (for callers that share or restore one).
    public init(index: ClusterDNSIndex, generator: SeededGenerator) {
        self.index = index
        self.generator = generator
    }

    /// Builds the index and the responder in one go.
    public init(cluster: Cluster, options: ClusterDNSOptions = ClusterDNSOptions()) {
        self.init(index: ClusterDNSIndex(cluster: cluster, options: options))
    }

    /// The options the index was built with.
    public var options: ClusterDNSOptions { index.options }

    /// The reply to one query message, with the server-level checks of CoreDNS and miekg/dns:
    /// FORMERR for QDCOUNT ≠ 1 (and the other section-count rejects), NOTIMP for opcodes other than
    /// QUERY/NOTIFY, BADVERS for EDNS versions above 0, REFUSED for classes other than IN.
    ///
    /// A query with QR set gets FORMERR here; a server should drop such messages instead.
    public mutating func respond(to query: DNSMessage) -> DNSMessage {
        let h = query.header
        if h.opcode != .query && h.opcode != .notify {
            return rejection(query, rcode: .notImp, keepOpcode: true)
        }
        if query.questions.count != 1 || query.answers.count > 1 || query.authority.count > 1 || query.additional.count > 2 || h.isResponse {
            return rejection(query, rcode: .formErr, keepOpcode: false)
        }
        let question = query.questions[0]
        // the OPT record can only be in the additional section
        let queryEDNS = query.additional.isEmpty ? nil : query.edns
        if let edns = queryEDNS, edns.version > 0 {
            var reply = DNSMessage(header: replyHeader(h))
            reply.edns = EDNS(udpPayloadSize: edns.udpPayloadSize, dnssecOK: edns.dnssecOK)
            reply.rcode = .badVers
            return reply
        }
        var reply: DNSMessage
        if question.qClass != .in {
            // the query's own one-question array, shared
            reply = DNSMessage(header: replyHeader(h), questions: query.questions)
            reply.rcode = .refused
        } else {
            let outcome = answer(name: question.name, type: question.type, depth: 0)
            var header = replyHeader(h)
            header.authoritative = outcome.authoritative
            header.recursionAvailable = outcome.recursionAvailable
            header.truncated = outcome.truncated
            if outcome.rcode == .noError && options.answerOrder == .shuffle && question.type != .axfr && question.type != .ixfr
                && (outcome.compactAnswers != nil || outcome.compactAdditional != nil)
            {
                // a precomputed outcome with address sections kept as octets: their shuffled
                // copies are built from those, in the order `order` would shuffle the sections
                header.rcodeLow = 0
                let answers: [ResourceRecord]
                if let compact = outcome.compactAnswers {
                    answers = compact.shuffled(&generator)
                } else {
                    answers = roundRobin(outcome.answers, outcome.answerShape, ClusterDNSResponder.shuffle)
                }
                let authority = roundRobin(outcome.authority, outcome.authorityShape, ClusterDNSResponder.shuffle)
                let additional: [ResourceRecord]
                if let compact = outcome.compactAdditional {
                    additional = compact.shuffled(&generator)
                } else {
                    additional = roundRobin(outcome.additional, outcome.additionalShape, ClusterDNSResponder.shuffle)
                }
                return finish(
                    DNSMessage(header: header, questions: query.questions, answers: answers, authority: authority, additional: additional), queryEDNS)
            }
            if outcome.rcode.rawValue < 16 {
                // what the rcode setter does while the reply has no OPT record
                header.rcodeLow = UInt8(outcome.rcode.rawValue)
                reply = DNSMessage(
                    header: header, questions: query.questions, answers: outcome.answers, authority: outcome.authority, additional: outcome.additional)
            } else {
                reply = DNSMessage(header: header, questions: query.questions)
                reply.rcode = outcome.rcode
                reply.answers = outcome.answers
                reply.authority = outcome.authority
                reply.additional = outcome.additional
            }
            if outcome.rcode == .noError && question.type != .axfr && question.type != .ixfr {
                order(&reply, question: question, shapes: (outcome.answerShape, outcome.authorityShape, outcome.additionalShape))
            }
        }
        return finish(reply, queryEDNS)
    }

    /// The reply with the client's OPT record echoed, if it sent one.
    func finish(_ reply: DNSMessage, _ queryEDNS: EDNS?) -> DNSMessage {
        guard let edns = queryEDNS else { return reply }
        var reply = reply
        // request.SizeAndDo: reuse the client's OPT, version 0, flags other than DO's byte cleared
        var echoed = EDNS(
            udpPayloadSize: edns.udpPayloadSize, extendedRCode: reply.edns?.extendedRCode ?? 0, version: 0, dnssecOK: edns.dnssecOK,
            otherFlags: edns.otherFlags & 0x7f00)
        echoed.options = edns.options.filter { ClusterDNSResponder.echoedOptions.contains($0.code) }
        reply.edns = echoed
        return reply
    }

    /// The EDNS options CoreDNS echoes: NSID, EXPIRE, COOKIE, TCP-KEEPALIVE, PADDING.
    public static let echoedOptions: Set<UInt16> = [EDNSOption.nsid, EDNSOption.expire, EDNSOption.cookie, EDNSOption.tcpKeepalive, EDNSOption.padding]

    /// `Msg.SetReply`: id, opcode, RD and CD (for QUERY) copied.
    func replyHeader(_ h: DNSHeader) -> DNSHeader {
        DNSHeader(
            id: h.id, isResponse: true, opcode: h.opcode, recursionDesired: h.opcode == .query && h.recursionDesired,
            checkingDisabled: h.opcode == .query && h.checkingDisabled)
    }

    /// miekg/dns's reject: the query's own header turned into a response, every section dropped.
    func rejection(_ query: DNSMessage, rcode: DNSRCode, keepOpcode: Bool) -> DNSMessage {
        var header = query.header
        header.isResponse = true
        header.authoritative = false
        header.zero = false
        if !keepOpcode { header.opcode = .query }
        header.rcodeLow = UInt8(rcode.rawValue & 0x0f)
        return DNSMessage(header: header)
    }

    // MARK: - ordering (loadbalance)

    mutating func order(_ reply: inout DNSMessage, question: DNSQuestion, shapes: (SectionShape, SectionShape, SectionShape)) {
        switch options.answerOrder {
        case .none:
            return
        case .shuffle:
            let shuffle: (inout [ResourceRecord], inout SeededGenerator) -> Void = { records, generator in ClusterDNSResponder.shuffle(&records, &generator) }
            reply.answers = roundRobin(reply.answers, shapes.0, shuffle)
            reply.authority = roundRobin(reply.authority, shapes.1, shuffle)
            reply.additional = roundRobin(reply.additional, shapes.2, shuffle)
        case .rotate:
            // a single record rotates onto itself: only names with several records keep a counter,
            // so the counters stay as many as the cluster's multi-record names, whatever is asked
            guard reply.answers.count > 1 || reply.authority.count > 1 || reply.additional.count > 1 else { return }
            let key = RotationKey(name: question.name.lowercased().wire, type: question.type.rawValue)
            let turn = rotations[key, default: 0]
            rotations[key] = turn + 1
            let rotate: (inout [ResourceRecord], inout SeededGenerator) -> Void = { records, _ in
                guard records.count > 1 else { return }
                let k = turn % records.count
                records = Array(records[k...] + records[..<k])
            }
            reply.answers = roundRobin(reply.answers, shapes.0, rotate)
            reply.authority = roundRobin(reply.authority, shapes.1, rotate)
            reply.additional = roundRobin(reply.additional, shapes.2, rotate)
        }
    }

    /// `loadbalance`'s grouping: CNAME, then the rest in order, then A/AAAA permuted, then MX
    /// permuted. `shape` is the section's shape when known in advance (`.unknown` otherwise).
    mutating func roundRobin(
        _ records: [ResourceRecord], _ shape: SectionShape, _ permute: (inout [ResourceRecord], inout SeededGenerator) -> Void
    ) -> [ResourceRecord] {
        switch shape == .unknown ? SectionShape.of(records) : shape {
        case .fixed, .unknown:
            return records
        case .addressesOnly:
            // the common case: only addresses, permuted as a whole
            var out = records
            permute(&out, &generator)
            return out
        case .mixed:
            var cname: [ResourceRecord] = []
            var address: [ResourceRecord] = []
            var mx: [ResourceRecord] = []
            var rest: [ResourceRecord] = []
            for record in records {
                switch record.type {
                case .cname: cname.append(record)
                case .a, .aaaa: address.append(record)
                case .mx: mx.append(record)
                default: rest.append(record)
                }
            }
            permute(&address, &generator)
            permute(&mx, &generator)
            return cname + rest + address + mx
        }
    }

    /// `roundRobinShuffle` with 16-bit draws: swap with probability 1/2 for two records, else a
    /// Fisher–Yates style pass with `j + id % (n - j)`.
    static func shuffle(_ records: inout [ResourceRecord], _ generator: inout SeededGenerator) {
        guard records.count > 1 else { return }
        // the swaps are done on indices (records are large values), then the records are copied
        // once into a new array in that order
        let original = records
        records = original.withUnsafeBufferPointer { source in
            shuffled(count: source.count, &generator) { source[$0] }
        }
    }

    /// `count` (at least 2) records in `roundRobinShuffle`'s order, `record(k)` giving the k-th
    /// of the original order: for two, a swap with probability 1/2; else for each j a swap with
    /// `j + id % (n - j)`.
    @inline(__always) static func shuffled(count l: Int, _ generator: inout SeededGenerator, _ record: (Int) -> ResourceRecord) -> [ResourceRecord] {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: l) { order in
            for j in 0..<l { order.initializeElement(at: j, to: j) }
            if l == 2 {
                if generator.nextID() % 2 == 0 { order.swapAt(0, 1) }
            } else {
                for j in 0..<l {
                    let p = j + Int(generator.nextID()) % (l - j)
                    if j != p { order.swapAt(j, p) }
                }
            }
            var out: [ResourceRecord] = []
            out.reserveCapacity(l)
            for j in 0..<l { out.append(record(order[j])) }
            return out
        }
    }
}

/// An address section of a precomputed outcome kept as octets (every record A, class IN, one
/// TTL), so that its shuffled copy is built from a few words instead of by reading every stored
/// record; the records built are equal to the stored ones, octet for octet.
struct CompactAddresses: Sendable {
    /// The owner of every record, or one owner per record.
    let owners: [DNSName]
    let addresses: [UInt32]
    let ttl: UInt32

    /// `nil` unless `records` has two or more records, all of them A, class IN, with one TTL.
    init?(_ records: [ResourceRecord]) {
        guard records.count > 1, let first = records.first else { return nil }
        var addresses: [UInt32] = []
        for record in records {
            guard record.rrClass == .in, record.ttl == first.ttl, case .a(let address) = record.data else { return nil }
            addresses.append(address.value)
        }
        let oneOwner = records.allSatisfy { $0.name.isIdentical(to: first.name) }
        owners = oneOwner ? [first.name] : records.map(\.name)
        self.addresses = addresses
        ttl = first.ttl
    }

    /// The records in `loadbalance`'s shuffled order, drawing from `generator` as
    /// `ClusterDNSResponder.shuffle` does.
    func shuffled(_ generator: inout SeededGenerator) -> [ResourceRecord] {
        let owners = self.owners
        let addresses = self.addresses
        let ttl = self.ttl
        return ClusterDNSResponder.shuffled(count: addresses.count, &generator) { k in
            ResourceRecord(name: owners.count == 1 ? owners[0] : owners[k], ttl: ttl, data: .a(IPv4Address(addresses[k])))
        }
    }
}

/// What `loadbalance` does to one section, decided by its record types alone.
enum SectionShape: UInt8, Sendable {
    /// Not classified yet: look at the records.
    case unknown
    /// Left as it is: at most one record, or no addresses and MX to permute and no CNAME to move up.
    case fixed
    /// Only A/AAAA records (two or more): permuted as a whole.
    case addressesOnly
    /// Regrouped: CNAME first, then the rest, then A/AAAA permuted, then MX permuted.
    case mixed

    static func of(_ records: [ResourceRecord]) -> SectionShape {
        guard records.count > 1 else { return .fixed }
        var addresses = 0
        var others = 0
        var cnameAfterOther = false
        var mxs = 0
        records.withUnsafeBufferPointer { buffer in
            for i in buffer.indices {
                switch buffer[i].type {
                case .a, .aaaa: addresses += 1
                case .cname: if others > 0 || addresses > 0 { cnameAfterOther = true }
                case .mx:
                    others += 1
                    mxs += 1
                default: others += 1
                }
            }
        }
        if addresses == records.count { return .addressesOnly }
        if addresses == 0 && !cnameAfterOther && mxs == 0 { return .fixed }
        return .mixed
    }
}

/// The plugin-level outcome of one question.
struct Outcome: Sendable {
    var rcode: DNSRCode = .noError
    var authoritative = true
    var recursionAvailable = false
    var truncated = false
    var answers: [ResourceRecord] = []
    var authority: [ResourceRecord] = []
    var additional: [ResourceRecord] = []
    /// The sections' shapes for `loadbalance`, when classified in advance.
    var answerShape = SectionShape.unknown
    var authorityShape = SectionShape.unknown
    var additionalShape = SectionShape.unknown
    /// The answer and additional sections as octets, when they are all A records (see `CompactAddresses`).
    var compactAnswers: CompactAddresses? = nil
    var compactAdditional: CompactAddresses? = nil

    /// This outcome with its sections classified.
    func classified() -> Outcome {
        var outcome = self
        outcome.answerShape = .of(answers)
        outcome.authorityShape = .of(authority)
        outcome.additionalShape = .of(additional)
        outcome.compactAnswers = CompactAddresses(answers)
        outcome.compactAdditional = CompactAddresses(additional)
        return outcome
    }
}

extension ClusterDNSResponder {
    /// Finds the zone (longest match) and answers; names outside every zone go to `outsideZones`.
    func answer(name: DNSName, type: DNSType, depth: Int) -> Outcome {
        let index = self.index
        let wire = name.wire
        if depth == 0, PrecomputedAnswers.covers(type), let outcome = index.precomputed.outcome(wire, type) {
            return outcome
        }
        for zone in index.zones where zone.lowerWire.count <= wire.count {
            let start = wire.count - zone.lowerWire.count
            guard ClusterDNSResponder.equalFolded(zone.lowerWire, wire, from: start) else { continue }
            // the suffix must start on a label boundary
            var i = 0
            while i < start { i += Int(wire[i]) + 1 }
            guard i == start else { continue }
            let request = ClusterDNSRequest(name: name, zone: zone, zoneSpelling: wire[start...])
            return serve(request, type: type, depth: depth)
        }
        return outside(name: name, type: type, depth: depth)
    }

    /// Names outside the zones: REFUSED, or the static records as an upstream would answer.
    func outside(name: DNSName, type: DNSType, depth: Int) -> Outcome {
        var outcome = Outcome()
        outcome.authoritative = false
        guard case .records(let records) = options.outsideZones else {
            outcome.rcode = .refused
            return outcome
        }
        outcome.recursionAvailable = true
        var current = name
        var seen: [DNSName] = []
        for _ in 0..<9 {
            let atName = records.filter { $0.name == current }
            if atName.isEmpty {
                if seen.isEmpty { outcome.rcode = .nxDomain }
                return outcome
            }
            let matching = atName.filter { $0.type == type }
            if !matching.isEmpty || type == .cname {
                outcome.answers += matching.map { ResourceRecord(name: current, rrClass: $0.rrClass, ttl: $0.ttl, data: $0.data) }
                return outcome
            }
            guard let cname = atName.first(where: { $0.type == .cname }), case .cname(let target) = cname.data, !seen.contains(target) else {
                return outcome
            }
            outcome.answers.append(ResourceRecord(name: current, ttl: cname.ttl, data: cname.data))
            seen.append(current)
            current = target
        }
        return outcome
    }

    /// `Kubernetes.ServeDNS` for a name inside `request.zone`.
    func serve(_ request: ClusterDNSRequest, type: DNSType, depth: Int) -> Outcome {
        let index = self.index
        var records: [ResourceRecord] = []
        var extra: [ResourceRecord] = []
        var truncated = false
        var failed = false
        switch type {
        case .axfr, .ixfr:
            var outcome = Outcome()
            outcome.rcode = .refused
            outcome.authoritative = false
            return outcome
        case .a, .aaaa:
            switch addresses(request, type: type, previous: [], depth: depth) {
            case .success(let (found, tc)):
                records = found
                truncated = tc
            case .failure: failed = true
            }
        case .txt:
            switch index.services(request, .txt) {
            case .success(let hits):
                if hits.contains(where: { if case .text = $0.host { return true } else { return false } }) {
                    records = [ResourceRecord(name: request.name, ttl: 28800, data: .txt([Array("1.1.0".utf8)]))]
                }
            case .failure: failed = true
            }
        case .cname:
            switch index.services(request, .cname) {
            case .success(let hits):
                if let first = hits.first, case .cname(let target) = first.host {
                    records = [ResourceRecord(name: request.name, ttl: options.ttl, data: .cname(target))]
                }
            case .failure: failed = true
            }
        case .ptr:
            if let ip = ClusterDNSIndex.addressFromReverse(request.lower) {
                if let targets = index.reverse[ip] {
                    records = targets.map { ResourceRecord(name: request.name, ttl: options.ttl, data: .ptr($0)) }
                } else {
                    failed = true
                }
            } else if case .failure = index.records(request) {
                failed = true
            }
        case .srv:
            switch srv(request) {
            case .success(let (found, additional)):
                records = found
                extra = additional
            case .failure: failed = true
            }
        case .soa:
            if request.labelCount == 0 { records = [soa(request)] }
        case .ns where request.labelCount == 0:
            if case .success(let hits) = index.services(request, .ns) {
                var seen: [DNSName] = []
                for hit in hits {
                    guard case .ip(let ip) = hit.host, let target = hit.name(in: request.zoneSpelling, canonicalZone: index.canonicalZone) else { continue }
                    extra.append(ClusterDNSResponder.address(owner: target, ip: ip, ttl: options.ttl))
                    if seen.contains(where: { $0.isIdentical(to: target) }) { continue }
                    seen.append(target)
                    records.append(ResourceRecord(name: request.name, ttl: options.ttl, data: .ns(target)))
                }
            }
        default:
            // MX and everything else: an A-style lookup only decides NODATA vs NXDOMAIN
            if case .failure = index.services(request, type == .mx ? .mx : .a) { failed = true }
        }
        var outcome = Outcome()
        outcome.truncated = truncated
        if failed {
            outcome.rcode = .nxDomain
            outcome.authority = soaAuthority(request)
        } else if records.isEmpty {
            outcome.authority = soaAuthority(request)
        } else {
            outcome.answers = records
            outcome.additional = extra
        }
        return outcome
    }

    func soa(_ request: ClusterDNSRequest) -> ResourceRecord {
        if Octets.equal(request.zoneSpelling, request.zone.name.wire) { return request.zone.soa }
        return ClusterDNSIndex.soa(zoneSpelling: request.zoneSpelling, options: options)
    }

    /// `[soa(request)]`, shared when the zone is spelled as configured.
    func soaAuthority(_ request: ClusterDNSRequest) -> [ResourceRecord] {
        if Octets.equal(request.zoneSpelling, request.zone.name.wire) { return request.zone.soaAuthority }
        return [ClusterDNSIndex.soa(zoneSpelling: request.zoneSpelling, options: options)]
    }

    /// `lowered` equals `wire[from...]` with ASCII letters folded.
    static func equalFolded(_ lowered: [UInt8], _ wire: [UInt8], from start: Int) -> Bool {
        guard wire.count - start == lowered.count else { return false }
        var i = start
        for c in lowered {
            let b = wire[i]
            if ((b >= 65 && b <= 90) ? b | 0x20 : b) != c { return false }
            i += 1
        }
        return true
    }

    static func address(owner: DNSName, ip: IPAddress, ttl: UInt32) -> ResourceRecord {
        switch ip {
        case .v4(let a): return ResourceRecord(name: owner, ttl: ttl, data: .a(a))
        case .v6(let a): return ResourceRecord(name: owner, ttl: ttl, data: .aaaa(a))
        }
    }

    /// `plugin.A` / `plugin.AAAA`, CNAME chasing included.
    func addresses(_ request: ClusterDNSRequest, type: DNSType, previous: [ResourceRecord], depth: Int) -> Result<([ResourceRecord], Bool), NameError> {
        if let fast = index.bareServiceAddresses(request, v4: type == .a) {
            switch fast {
            case .success(let ips):
                return .success((ips.map { ClusterDNSResponder.address(owner: request.name, ip: $0, ttl: options.ttl) }, false))
            case .failure(let error):
                return .failure(error)
            }
        }
        let hits: [Hit]
        switch index.services(request, type) {
        case .success(let found): hits = found
        case .failure(let error): return .failure(error)
        }
        var records: [ResourceRecord] = []
        var truncated = false
        var seen: [IPAddress] = []
        for hit in hits {
            switch hit.host {
            case .text:
                continue
            case .ip(let ip):
                guard ip.isIPv4 == (type == .a), !seen.contains(ip) else { continue }
                seen.append(ip)
                records.append(ClusterDNSResponder.address(owner: request.name, ip: ip, ttl: options.ttl))
            case .cname(let target):
                // x CNAME x (or below x) is a loop
                if target.isSubdomain(of: request.name) { continue }
                let cname = ResourceRecord(name: request.name, ttl: options.ttl, data: .cname(target))
                if previous.count > 7 { continue }
                if previous.contains(where: { if case .cname(let t) = $0.data { return t == target } else { return false } }) { continue }
                let zoneName = (try? DNSName(wire: Array(request.zoneSpelling))) ?? request.zone.name
                if target.isSubdomain(of: zoneName) {
                    let next = ClusterDNSRequest(name: target, zone: request.zone, zoneSpelling: request.zoneSpelling)
                    if case .success(let (more, tc)) = addresses(next, type: type, previous: previous + [cname], depth: depth) {
                        if !more.isEmpty { records += [cname] + more }
                        if tc { truncated = true }
                    }
                    continue
                }
                // out of zone: CoreDNS asks its own plugin chain (normally `forward`)
                guard depth < 8 else { continue }
                let upstream = answer(name: target, type: type, depth: depth + 1)
                if upstream.truncated { truncated = true }
                records.append(cname)
                records += upstream.answers
            }
        }
        return .success((records, truncated))
    }

    /// `plugin.SRV`: weight floor(100/N) with N counted before de-duplication, priority 0.
    func srv(_ request: ClusterDNSRequest) -> Result<([ResourceRecord], [ResourceRecord]), NameError> {
        let hits: [Hit]
        switch index.services(request, .srv) {
        case .success(let found): hits = found
        case .failure(let error): return .failure(error)
        }
        let n = hits.count
        var weight = UInt16(0)
        if n > 0 {
            let w1 = (100.0 / Double(100 * n)) * 100
            weight = w1 >= 65535 ? 65535 : UInt16(w1.rounded(.down))
            if weight == 0 { weight = 1 }
        }
        var records: [ResourceRecord] = []
        var extra: [ResourceRecord] = []
        var srvSeen: [(DNSName, Int, Int)] = []
        var extraSeen: [(DNSName, IPAddress, Int)] = []
        records.reserveCapacity(hits.count)
        extra.reserveCapacity(hits.count)
        for hit in hits where hit.port != -1 {
            guard case .ip(let ip) = hit.host, let target = hit.name(in: request.zoneSpelling, canonicalZone: index.canonicalZone) else { continue }
            if !srvSeen.contains(where: { $0.2 == hit.key && $0.1 == hit.port && $0.0.isIdentical(to: target) }) {
                srvSeen.append((target, hit.port, hit.key))
                records.append(
                    ResourceRecord(
                        name: request.name, ttl: options.ttl,
                        data: .srv(SRV(priority: 0, weight: weight, port: UInt16(truncatingIfNeeded: hit.port), target: target))))
            }
            if !extraSeen.contains(where: { $0.1 == ip && $0.2 == hit.key && $0.0.isIdentical(to: target) }) {
                extraSeen.append((target, ip, hit.key))
                extra.append(ClusterDNSResponder.address(owner: target, ip: ip, ttl: options.ttl))
            }
        }
        return .success((records, extra))
    }
}
