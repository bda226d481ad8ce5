import ClusterDNS
import ClusterModel
import DNSWire
import NIOConcurrencyHelpers

/// Serves ClusterDNS answers to the DNS server: one responder (its seeded shuffle state included)
/// shared by every query, behind a lock, so that the order of answers depends only on the seed and
/// the order of queries. Optionally rewrites cluster addresses in answers to their loopback stand-ins.
public final class ClusterDNSQueryHandler: DNSQueryHandler {
    private let responder: NIOLockedValueBox<ClusterDNSResponder>
    /// Cluster address → loopback address, applied to A records when answers are rewritten.
    let rewrite: [IPAddress: IPv4Address]?
    /// The answered queries, when recording (`nil` otherwise: a long `serve` keeps nothing).
    private let answered: NIOLockedValueBox<[AnsweredQuery]>?

    /// Most queries kept when recording; later ones are counted in ``droppedRecords`` only.
    public static let recordLimit = 100_000
    private let dropped = NIOLockedValueBox(0)

    /// A query the server answered: question, transport and the reply.
    public struct AnsweredQuery: Sendable {
        /// When it was answered, on the clock of ``ClusterRuntime/monotonicNanoseconds()``.
        public var time: Int64
        public var question: DNSQuestion
        public var transport: DNSTransport
        public var reply: DNSMessage
    }

    /// `recording`: keep every answered query (``answeredQueries``), for reports of what unmodified
    /// programs asked.
    public init(responder: ClusterDNSResponder, rewritingAnswersWith plan: LoopbackAddressPlan? = nil, recording: Bool = false) {
        self.responder = NIOLockedValueBox(responder)
        self.rewrite = plan?.addresses
        self.answered = recording ? NIOLockedValueBox([]) : nil
    }

    public func response(to query: DNSMessage, transport: DNSTransport) -> DNSMessage? {
        var reply = responder.withLockedValue { $0.respond(to: query) }
        if let rewrite {
            reply.answers = reply.answers.map { ClusterDNSQueryHandler.rewritten($0, rewrite) }
            reply.additional = reply.additional.map { ClusterDNSQueryHandler.rewritten($0, rewrite) }
        }
        if let answered, let question = query.questions.first {
            let kept = answered.withLockedValue { list -> Bool in
                guard list.count < ClusterDNSQueryHandler.recordLimit else { return false }
                list.append(AnsweredQuery(time: ClusterRuntime.monotonicNanoseconds(), question: question, transport: transport, reply: reply))
                return true
            }
            if !kept { dropped.withLockedValue { $0 += 1 } }
        }
        return reply
    }

    /// The queries answered so far, in order (empty unless recording).
    public var answeredQueries: [AnsweredQuery] { answered?.withLockedValue { $0 } ?? [] }

    /// Queries answered beyond ``recordLimit`` and not kept.
    public var droppedRecords: Int { dropped.withLockedValue { $0 } }

    /// Replaces the responder, e.g. after a change to the cluster; the shuffle state starts anew.
    public func replace(with newResponder: ClusterDNSResponder) {
        responder.withLockedValue { $0 = newResponder }
    }

    static func rewritten(_ record: ResourceRecord, _ map: [IPAddress: IPv4Address]) -> ResourceRecord {
        var record = record
        switch record.data {
        case .a(let address):
            if let loopback = map[.v4(address)] { record.data = .a(loopback) }
        case .aaaa(let address):
            // loopback has no IPv6 stand-ins beyond ::1; an IPv6 cluster address becomes an A record
            if let loopback = map[.v6(address)] { record.data = .a(loopback) }
        default:
            break
        }
        return record
    }
}
