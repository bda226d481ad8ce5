import DNSWire

/// Puts IPv4 and IPv6 fragments back together, within fixed memory and time bounds.
///
/// Datagrams are keyed by source, destination, identification and protocol (and vantage point).
/// A datagram completes when its last fragment (MF clear) is known and every octet from 0 to its
/// end has arrived; overlapping fragments keep the octets that arrived first. Datagrams older
/// than ``Limits/timeoutNanoseconds`` are dropped and reported; when the buffered total would
/// exceed the limits, the oldest datagram is dropped and reported.
struct FragmentReassembler {
    struct Limits {
        var maxDatagrams = 1024
        var maxBufferedOctets = 16 << 20
        var timeoutNanoseconds: Int64 = 30_000_000_000
    }

    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var id: UInt32
        var proto: UInt8
        var vantage: Int
    }

    struct Pending {
        var pieces: [(offset: Int, bytes: ArraySlice<UInt8>)] = []
        var totalLength: Int?
        var firstTime: Int64
        var frames: [Int] = []
        var octets = 0
    }

    /// A datagram whose fragments all arrived.
    struct Datagram {
        var payload: [UInt8]
        var frames: [Int]
    }

    var limits: Limits
    private(set) var pending: [Key: Pending] = [:]
    private(set) var bufferedOctets = 0

    init(limits: Limits) { self.limits = limits }

    /// Adds one fragment; returns the datagram when this fragment completes it.
    mutating func add(_ key: Key, fragment: IPPacket.Fragment, bytes: ArraySlice<UInt8>, frame: Int, time: Int64, diagnostics: inout [TrafficError])
        -> Datagram?
    {
        let end = fragment.offset + bytes.count
        guard end <= 65535 + 40 else {
            diagnostics.append(TrafficError(.malformedPacket, frame: frame, "IP fragment at offset \(fragment.offset) ends past 65,535 octets"))
            return nil
        }
        if pending[key] == nil {
            while pending.count >= limits.maxDatagrams || (bufferedOctets + bytes.count > limits.maxBufferedOctets && !pending.isEmpty) {
                evictOldest(reason: "fragment buffer limit reached", diagnostics: &diagnostics)
            }
            pending[key] = Pending(firstTime: time)
        }
        var entry = pending.removeValue(forKey: key)!
        entry.pieces.append((fragment.offset, bytes))
        if !fragment.more { entry.totalLength = end }
        if entry.frames.last != frame { entry.frames.append(frame) }
        entry.octets += bytes.count
        bufferedOctets += bytes.count
        if let total = entry.totalLength, let payload = Self.assemble(entry.pieces, total: total) {
            bufferedOctets -= entry.octets
            return Datagram(payload: payload, frames: entry.frames)
        }
        pending[key] = entry
        return nil
    }

    /// Drops datagrams that waited longer than the timeout.
    mutating func expire(now: Int64, diagnostics: inout [TrafficError]) {
        guard !pending.isEmpty else { return }
        for (key, entry) in pending where Elapsed.nanoseconds(from: entry.firstTime, to: now) > limits.timeoutNanoseconds {
            pending[key] = nil
            bufferedOctets -= entry.octets
            diagnostics.append(Self.report(key, entry, "timed out"))
        }
    }

    /// Reports every datagram still incomplete at the end of the capture.
    mutating func finish(diagnostics: inout [TrafficError]) {
        for (key, entry) in pending.sorted(by: { $0.value.frames.first ?? 0 < $1.value.frames.first ?? 0 }) {
            diagnostics.append(Self.report(key, entry, "never completed"))
        }
        pending = [:]
        bufferedOctets = 0
    }

    private mutating func evictOldest(reason: String, diagnostics: inout [TrafficError]) {
        guard let oldest = pending.min(by: { $0.value.firstTime < $1.value.firstTime }) else { return }
        pending[oldest.key] = nil
        bufferedOctets -= oldest.value.octets
        diagnostics.append(Self.report(oldest.key, oldest.value, reason))
    }

    private static func report(_ key: Key, _ entry: Pending, _ why: String) -> TrafficError {
        TrafficError(
            .incompleteFragments, frame: entry.frames.last,
            "IP datagram \(key.source) → \(key.destination) id \(key.id): \(entry.pieces.count) fragment(s) in frames \(entry.frames.map(String.init).joined(separator: ",")) \(why)"
        )
    }

    /// The datagram if the pieces cover 0..<total without a hole.
    static func assemble(_ pieces: [(offset: Int, bytes: ArraySlice<UInt8>)], total: Int) -> [UInt8]? {
        let sorted = pieces.enumerated().sorted { $0.element.offset != $1.element.offset ? $0.element.offset < $1.element.offset : $0.offset < $1.offset }
        var covered = 0
        for (_, piece) in sorted {
            if piece.offset > covered { return nil }
            covered = max(covered, piece.offset + piece.bytes.count)
        }
        guard covered >= total else { return nil }
        var out = [UInt8](repeating: 0, count: total)
        var filled = [Bool](repeating: false, count: total)
        for piece in pieces {  // arrival order: first octets win
            var i = piece.offset
            for b in piece.bytes where i < total {
                if !filled[i] {
                    out[i] = b
                    filled[i] = true
                }
                i += 1
            }
        }
        return out
    }
}
