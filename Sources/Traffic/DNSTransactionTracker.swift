import DNSWire

/// Pairs DNS responses with their queries by 5-tuple, ID and question, and recognises
/// retransmitted queries. Bounded: queries older than the timeout are forgotten; when the limit
/// of pending questions is reached, all pending queries are forgotten (and the caller reports
/// how many).
///
/// Two levels, so that no input can make lookups slow: a dictionary by ``Flow`` (the two ends,
/// transport, ID and question type, hashed whole so that only Hasher's per-process key decides
/// collisions), and per flow a short list of question names, compared without case. A flow keeps
/// at most ``maxNamesPerFlow`` names: a capture that sends many names with one 5-tuple, ID and
/// type costs at most that many comparisons per lookup, never a long probe run.
struct DNSTransactionTracker {
    /// What a query and its response share besides the question's name.
    struct Flow: Hashable {
        var client: Endpoint
        var server: Endpoint
        var transport: TransportProtocol
        var id: UInt16
        var type: UInt16

        func hash(into hasher: inout Hasher) {
            let fields = UInt64(client.port) | UInt64(server.port) << 16 | UInt64(id) << 32 | UInt64(type) << 48
            EndpointHashing.combine(client.address, server.address, and: fields, transport == .tcp ? 1 : 0, into: &hasher)
        }
    }

    /// A query or response's place in the tracker: its flow and the question's name in
    /// uncompressed wire form (a slice of the message's own octets).
    struct Key {
        var flow: Flow
        var name: ArraySlice<UInt8>?

        /// True when `other` names the same question, ASCII letters compared without case.
        func sameName(_ other: ArraySlice<UInt8>?) -> Bool {
            switch (name, other) {
            case (nil, nil): return true
            case (let a?, let b?): return DNSName.wireEqualIgnoringCase(a, b)
            default: return false
            }
        }
    }

    struct Query {
        var frame: Int
        var time: Int64
        var vantage: Int
    }

    /// The unanswered queries of one question, oldest first, at most 16. The first is kept
    /// inline, so that the usual single query costs no allocation.
    struct Queries {
        private var head: Query?
        private var rest: [Query] = []

        var last: Query? { rest.last ?? head }

        /// Appends a query; true when one from the same vantage point was already waiting.
        mutating func add(_ query: Query) -> Bool {
            guard let first = head else {
                head = query
                return false
            }
            let repeated = first.vantage == query.vantage || rest.contains { $0.vantage == query.vantage }
            rest.append(query)
            if rest.count > 15 { head = rest.removeFirst() }
            return repeated
        }

        /// The latest query from `vantage`, all of whose queries are then removed; nil when there is none.
        mutating func answer(vantage: Int) -> Query? {
            var answered: Query?
            if let index = rest.lastIndex(where: { $0.vantage == vantage }) {
                answered = rest[index]
            } else if let first = head, first.vantage == vantage {
                answered = first
            }
            guard answered != nil else { return nil }
            if !rest.isEmpty { rest.removeAll { $0.vantage == vantage } }
            if head?.vantage == vantage { head = rest.isEmpty ? nil : rest.removeFirst() }
            return answered
        }

        var isEmpty: Bool { head == nil }
    }

    /// The questions pending in one flow, oldest first; the first inline (the usual case is one).
    struct Questions {
        struct Entry {
            var name: ArraySlice<UInt8>?
            var queries = Queries()
        }

        private var head: Entry
        private var rest: [Entry] = []
        /// Set once the flow has had to forget a question (it is said once per flow).
        private var overflowed = false

        init(_ first: Entry) { head = first }

        var count: Int { 1 + rest.count }

        /// What ``add(_:for:allowingNew:limit:)`` did.
        enum Added {
            /// The question was pending: the query joined it (true when it repeats one from the
            /// same vantage point).
            case joined(repeated: Bool)
            /// A new question; `forgotOldest` when the oldest one was forgotten to make room,
            /// `firstForgetting` when that happened for the first time in this flow.
            case new(forgotOldest: Bool, firstForgetting: Bool)
            /// A new question, and no room was allowed: nothing changed.
            case refused
        }

        /// The position of `key`'s question: 0 for the head, then 1... for the rest.
        private func position(of key: Key) -> Int? {
            if key.sameName(head.name) { return 0 }
            return rest.firstIndex { key.sameName($0.name) }.map { $0 + 1 }
        }

        /// Adds `query` to its question, or starts the question (when `allowingNew`), keeping
        /// at most `limit` questions.
        mutating func add(_ query: Query, for key: Key, allowingNew: Bool, limit: Int) -> Added {
            if let position = position(of: key) {
                let repeated = position == 0 ? head.queries.add(query) : rest[position - 1].queries.add(query)
                return .joined(repeated: repeated)
            }
            guard allowingNew else { return .refused }
            var entry = Entry(name: key.name)
            _ = entry.queries.add(query)
            rest.append(entry)
            guard count > limit else { return .new(forgotOldest: false, firstForgetting: false) }
            head = rest.removeFirst()
            defer { overflowed = true }
            return .new(forgotOldest: true, firstForgetting: !overflowed)
        }

        /// The query `key`'s response answers (see ``DNSTransactionTracker/response(_:vantage:)``),
        /// whether that emptied its question, and whether no question is left in the flow.
        mutating func answer(_ key: Key, vantage: Int) -> (query: Query?, emptied: Bool, flowEmpty: Bool) {
            guard let position = position(of: key) else { return (nil, false, false) }
            let answered = position == 0 ? head.queries.answer(vantage: vantage) : rest[position - 1].queries.answer(vantage: vantage)
            guard let answered else {
                return (position == 0 ? head.queries.last : rest[position - 1].queries.last, false, false)
            }
            guard position == 0 ? head.queries.isEmpty : rest[position - 1].queries.isEmpty else { return (answered, false, false) }
            if position > 0 {
                rest.remove(at: position - 1)
            } else if !rest.isEmpty {
                head = rest.removeFirst()
            } else {
                return (answered, true, true)
            }
            return (answered, true, false)
        }

        /// Keeps the questions for which `isKept` is true; false when none is left.
        mutating func filter(_ isKept: (Queries) -> Bool) -> Bool {
            var all = [head] + rest
            all.removeAll { !isKept($0.queries) }
            guard let first = all.first else { return false }
            head = first
            rest = Array(all.dropFirst())
            return true
        }
    }

    /// At most this many questions pending per flow (see the type's description).
    static let maxNamesPerFlow = 16

    var timeoutNanoseconds: Int64
    /// At most this many questions pending in all; at the limit, all are forgotten.
    var maxPending: Int
    private(set) var pending: [Flow: Questions] = [:]
    /// Questions pending, over all flows.
    private(set) var pendingCount = 0

    init(timeoutNanoseconds: Int64, maxPending: Int) {
        self.timeoutNanoseconds = timeoutNanoseconds
        self.maxPending = maxPending
    }

    static func key(_ message: DNSWireMessage, client: Endpoint, server: Endpoint, transport: TransportProtocol) -> Key {
        Key(
            flow: Flow(client: client, server: server, transport: transport, id: message.header.id, type: message.firstQuestion?.type.rawValue ?? 0),
            name: message.questionNameWire)
    }

    /// What ``query(_:frame:time:vantage:forgotten:)`` forgot to stay within the limits.
    struct Forgotten {
        /// Questions forgotten because the total limit was reached (all that were pending).
        var atTotalLimit = 0
        /// True when the flow's oldest question was forgotten, to keep ``maxNamesPerFlow``, for
        /// the first time in this flow (a flow that keeps sending new names is said once).
        var oldestInFlow = false
    }

    /// Records a query; true when it repeats an unanswered one seen at the same vantage point.
    mutating func query(_ key: Key, frame: Int, time: Int64, vantage: Int, forgotten: inout Forgotten) -> Bool {
        let query = Query(frame: frame, time: time, vantage: vantage)
        if let index = pending.index(forKey: key.flow) {
            switch pending.values[index].add(query, for: key, allowingNew: pendingCount < maxPending, limit: Self.maxNamesPerFlow) {
            case .joined(let repeated):
                return repeated
            case .new(let forgotOldest, let firstForgetting):
                if firstForgetting { forgotten.oldestInFlow = true }
                if !forgotOldest { pendingCount += 1 }
                return false
            case .refused:
                forgetAll(&forgotten)
            }
        } else if pendingCount >= maxPending {
            forgetAll(&forgotten)
        }
        var entry = Questions.Entry(name: key.name)
        _ = entry.queries.add(query)
        pending[key.flow] = Questions(entry)
        pendingCount += 1
        return false
    }

    private mutating func forgetAll(_ forgotten: inout Forgotten) {
        forgotten.atTotalLimit += pendingCount
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
    }

    /// The query a response answers: the latest at the same vantage point (which is then
    /// answered), else the latest seen anywhere (kept, for the copy at its own vantage point).
    mutating func response(_ key: Key, vantage: Int) -> Query? {
        guard let index = pending.index(forKey: key.flow) else { return nil }
        let (query, emptied, flowEmpty) = pending.values[index].answer(key, vantage: vantage)
        if emptied { pendingCount -= 1 }
        if flowEmpty { pending.remove(at: index) }
        return query
    }

    /// Forgets the questions whose latest query is older than the timeout.
    mutating func expire(now: Int64) {
        guard !pending.isEmpty else { return }
        let timeout = timeoutNanoseconds
        var kept: [Flow: Questions] = [:]
        var count = 0
        for (flow, var questions) in pending
        where questions.filter({ Elapsed.nanoseconds(from: $0.last?.time ?? now, to: now) <= timeout }) {
            count += questions.count
            kept[flow] = questions
        }
        pending = kept
        pendingCount = count
    }
}
