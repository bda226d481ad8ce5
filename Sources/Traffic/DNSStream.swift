import DNSWire
import NIOCore

/// One direction of DNS over TCP: length-prefixed messages (RFC 7766), several per stream, a
/// prefix possibly split across segments. Remembers which frame carried which octets so that a
/// message takes the frame of its last segment, as tshark does. After a gap it resynchronises on
/// the next segment boundary, which is where a sender's next message normally starts.
struct DNSStream {
    /// A decoded-or-not message cut out of the stream.
    struct Message {
        var bytes: ByteBuffer
        var frames: [Int]
        var frame: Int
        var time: Int64
    }

    private var decoder = DNSTCPFrameDecoder()
    /// (stream offset just past the chunk, frame that carried it, frame and time in which it was
    /// delivered in order), oldest first.
    private var chunks: [(end: Int, frame: Int, deliveredIn: Int, time: Int64)] = []
    private var appended = 0
    private var resyncing = false

    /// Appends in-order octets carried by `frame` and delivered while `deliveredIn` was processed
    /// (later than `frame` when the segment waited for a hole to fill).
    mutating func append(_ bytes: ArraySlice<UInt8>, frame: Int, deliveredIn: Int, time: Int64) {
        if resyncing {
            resyncing = false
            reset()
        }
        decoder.append(bytes)
        appended += bytes.count
        chunks.append((appended, frame, max(frame, deliveredIn), time))
    }

    /// Octets were lost: whatever is buffered cannot be framed any more.
    mutating func gap() {
        reset()
    }

    private mutating func reset() {
        decoder = DNSTCPFrameDecoder()
        chunks.removeAll(keepingCapacity: true)
        appended = 0
    }

    /// Octets waiting for the rest of their message.
    var bufferedOctets: Int { decoder.bufferedOctets }

    /// The next complete message, or nil; a zero-length frame is thrown and the stream then
    /// waits for the next segment boundary.
    mutating func next() throws(DNSWireError) -> Message? {
        let start = decoder.consumedOctets
        let frame: ByteBuffer?
        do {
            frame = try decoder.nextFrame()
        } catch let error as DNSWireError {
            resyncing = true
            throw error
        } catch {
            resyncing = true
            throw DNSWireError(.truncated, at: start, "\(error)")
        }
        guard let frame else { return nil }
        let end = decoder.consumedOctets
        var frames: [Int] = []
        // The message takes the latest frame among the segments that carried it, as tshark
        // numbers reassembled PDUs (tshark does not hold out-of-order segments back, so a
        // segment that waited for a hole keeps its own frame).
        var last = (frame: 0, time: Int64(0))
        var dropCount = 0
        // a message in thousands of tiny segments must not cost a quadratic scan: past a few
        // frames, membership goes through a set
        var seen: Set<Int> = []
        for (index, chunk) in chunks.enumerated() {
            if chunk.end <= start {
                dropCount = index + 1
                continue
            }
            if frames.count < 16 {
                if !frames.contains(chunk.frame) { frames.append(chunk.frame) }
            } else {
                if seen.isEmpty { seen = Set(frames) }
                if seen.insert(chunk.frame).inserted { frames.append(chunk.frame) }
            }
            if chunk.frame > last.frame { last = (chunk.frame, chunk.time) }
            if chunk.end >= end {
                break
            }
        }
        frames.sort()
        if dropCount > 0 { chunks.removeFirst(dropCount) }
        return Message(bytes: frame, frames: frames, frame: last.frame, time: last.time)
    }
}

/// Pairs DNS responses with their queries by 5-tuple, ID and question, and recognises
/// retransmitted queries. Bounded: queries older than the timeout are forgotten, and when more than
/// the limit are pending the oldest half are dropped.
struct DNSTransactionTracker {
    struct Key: Hashable {
        var client: Endpoint
        var server: Endpoint
        var transport: TransportProtocol
        var id: UInt16
        /// The question's name in uncompressed wire form.
        var name: ArraySlice<UInt8>?
        var type: UInt16

        /// The fields go in as two words, and the name, folded to lower case as equality folds it,
        /// as a third: a crafted capture of many queries that differ only in their names must not
        /// pile up in one probe run.
        func hash(into hasher: inout Hasher) {
            let addresses = Self.bits(client.address) &* 0x9E37_79B9_7F4A_7C15 ^ Self.bits(server.address)
            hasher.combine(transport == .tcp ? ~addresses : addresses)
            hasher.combine(UInt64(client.port) | UInt64(server.port) << 16 | UInt64(id) << 32 | UInt64(type) << 48)
            if let name { hasher.combine(Self.foldedHash(name)) }
        }

        /// A hash of the octets that names equal but for the case of ASCII letters share: eight
        /// octets at a time with bit 5 set in each (which folds A-Z onto a-z, and maps other
        /// octets consistently), so it costs a few multiplications per name.
        static func foldedHash(_ octets: ArraySlice<UInt8>) -> UInt64 {
            octets.withUnsafeBytes { raw in
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(raw.count)
                var offset = 0
                while offset + 8 <= raw.count {
                    let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | 0x2020_2020_2020_2020
                    hash = (hash ^ word) &* 0x0000_0100_0000_01B3
                    hash ^= hash >> 29
                    offset += 8
                }
                var tail: UInt64 = 0
                while offset < raw.count {
                    tail = tail << 8 | UInt64(raw[offset] | 0x20)
                    offset += 1
                }
                hash = (hash ^ tail) &* 0x0000_0100_0000_01B3
                return hash ^ hash >> 32
            }
        }

        /// The cheap fields first, then the names without case.
        static func == (lhs: Key, rhs: Key) -> Bool {
            guard lhs.id == rhs.id, lhs.type == rhs.type, lhs.client == rhs.client, lhs.server == rhs.server, lhs.transport == rhs.transport else {
                return false
            }
            switch (lhs.name, rhs.name) {
            case (nil, nil): return true
            case (let a?, let b?): return DNSName.wireEqualIgnoringCase(a, b)
            default: return false
            }
        }

        private static func bits(_ address: IPAddress) -> UInt64 {
            switch address {
            case .v4(let a): return UInt64(a.value)
            case .v6(let a): return a.high &* 0xBF58_476D_1CE4_E5B9 ^ a.low
            }
        }
    }

    struct Query {
        var frame: Int
        var time: Int64
        var vantage: Int
    }

    /// The unanswered queries of one key, oldest first, at most 16. The first is kept inline, so
    /// that the usual single query costs no allocation.
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

    var timeoutNanoseconds: Int64
    var maxPending: Int
    private(set) var pending: [Key: Queries] = [:]

    init(timeoutNanoseconds: Int64, maxPending: Int) {
        self.timeoutNanoseconds = timeoutNanoseconds
        self.maxPending = maxPending
    }

    static func key(_ message: DNSWireMessage, client: Endpoint, server: Endpoint, transport: TransportProtocol) -> Key {
        Key(
            client: client, server: server, transport: transport, id: message.header.id, name: message.questionNameWire,
            type: message.firstQuestion?.type.rawValue ?? 0)
    }

    /// Records a query; true when it repeats an unanswered one seen at the same vantage point.
    mutating func query(_ key: Key, frame: Int, time: Int64, vantage: Int, dropped: inout Int) -> Bool {
        if pending.count >= maxPending, pending[key] == nil {
            dropped += pending.count
            pending.removeAll(keepingCapacity: true)
        }
        return pending[key, default: Queries()].add(Query(frame: frame, time: time, vantage: vantage))
    }

    /// The query a response answers: the latest at the same vantage point (which is then
    /// answered), else the latest seen anywhere (kept, for the copy at its own vantage point).
    mutating func response(_ key: Key, vantage: Int) -> Query? {
        guard let index = pending.index(forKey: key) else { return nil }
        if let query = pending.values[index].answer(vantage: vantage) {
            if pending.values[index].isEmpty { pending.remove(at: index) }
            return query
        }
        return pending.values[index].last
    }

    mutating func expire(now: Int64) {
        guard !pending.isEmpty else { return }
        pending = pending.filter { Elapsed.nanoseconds(from: $0.value.last?.time ?? now, to: now) <= timeoutNanoseconds }
    }
}
