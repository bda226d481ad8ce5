/// A piece of one direction of a reassembled TCP stream.
enum StreamChunk {
    /// In-order octets, first seen in `frame`.
    case data(ArraySlice<UInt8>, frame: Int, time: Int64)
    /// `octets` octets were never captured; the stream continues after them. `frame` is the
    /// frame that revealed the gap.
    case gap(octets: Int, frame: Int, time: Int64)
    /// The sender's FIN was reached in sequence: no more octets will come this way.
    case end(frame: Int, time: Int64)
}

/// Reassembles one direction of a TCP connection into in-order octets.
///
/// Segments before the next expected sequence number are retransmissions (dropped) or overlaps
/// (trimmed); segments after it wait in a bounded buffer. A hole becomes a reported ``StreamChunk/gap``
/// (never invented octets) when the peer acknowledges past it, when the buffer limit is reached,
/// or when the stream ends.
struct TCPStreamReassembler {
    struct Segment {
        var seq: UInt32
        var data: ArraySlice<UInt8>
        var frame: Int
        var time: Int64
    }

    /// The sequence number of the next octet to deliver; nil before the first SYN or data.
    private(set) var nextSeq: UInt32?
    private(set) var pending: [Segment] = []
    private(set) var pendingOctets = 0
    private(set) var finSeq: UInt32?
    /// True once the FIN's position was reached or a RST was seen.
    private(set) var isClosed = false
    private(set) var sawSYN = false
    /// Octets dropped as retransmissions.
    private(set) var retransmittedOctets = 0

    @inline(__always)
    static func distance(from a: UInt32, to b: UInt32) -> Int { Int(Int32(bitPattern: b &- a)) }

    /// Takes one segment. `wireLength` is the payload length the headers announce, larger than
    /// `payload.count` when the snap length cut the segment.
    mutating func receive(
        seq: UInt32, syn: Bool, fin: Bool, payload: ArraySlice<UInt8>, wireLength: Int, frame: Int, time: Int64, bufferLimit: Int, out: inout [StreamChunk]
    ) {
        var seq = seq
        if syn {
            seq = seq &+ 1
            if !sawSYN {
                sawSYN = true
                if nextSeq == nil || pending.isEmpty { nextSeq = seq }
            }
        }
        if nextSeq == nil {
            guard !payload.isEmpty || fin else { return }
            nextSeq = seq
        }
        if fin { finSeq = seq &+ UInt32(truncatingIfNeeded: wireLength) }
        if !payload.isEmpty {
            insert(Segment(seq: seq, data: payload, frame: frame, time: time), out: &out)
            if wireLength > payload.count, let next = nextSeq, next == seq &+ UInt32(truncatingIfNeeded: payload.count) {
                // The capture cut the segment: the rest is a gap, not data.
                let missing = wireLength - payload.count
                out.append(.gap(octets: missing, frame: frame, time: time))
                nextSeq = next &+ UInt32(truncatingIfNeeded: missing)
                drain(out: &out)
            }
        }
        while pendingOctets > bufferLimit, !pending.isEmpty {
            skipToFirstPending(out: &out)
        }
        checkFIN(frame: frame, time: time, out: &out)
    }

    /// The peer acknowledged up to `ack`: octets before it that were never captured are a gap.
    mutating func acknowledged(_ ack: UInt32, frame: Int, time: Int64, out: inout [StreamChunk]) {
        guard var next = nextSeq, !isClosed else { return }
        var ahead = Self.distance(from: next, to: ack)
        if let fin = finSeq, Self.distance(from: fin, to: ack) >= 0 { ahead = Self.distance(from: next, to: fin) }
        guard ahead > 0, ahead < 1 << 30 else { return }
        while let first = pending.first, Self.distance(from: first.seq, to: ack) > 0 {
            skipToFirstPending(out: &out)
            next = nextSeq ?? next
        }
        let end = finSeq.map { Self.distance(from: $0, to: ack) >= 0 ? $0 : ack } ?? ack
        let missing = Self.distance(from: next, to: end)
        if missing > 0 {
            out.append(.gap(octets: missing, frame: frame, time: time))
            nextSeq = end
            drain(out: &out)
        }
        checkFIN(frame: frame, time: time, out: &out)
    }

    /// Ends the stream (RST, eviction or end of capture): buffered segments are delivered with
    /// the gaps before them reported.
    mutating func flush(out: inout [StreamChunk]) {
        while !pending.isEmpty { skipToFirstPending(out: &out) }
        isClosed = true
    }

    private mutating func insert(_ segment: Segment, out: inout [StreamChunk]) {
        guard let next = nextSeq else { return }
        var segment = segment
        let offset = Self.distance(from: next, to: segment.seq)
        if offset < 0 {
            let skip = -offset
            if skip >= segment.data.count {
                retransmittedOctets += segment.data.count
                return
            }
            retransmittedOctets += skip
            segment.data = segment.data.dropFirst(skip)
            segment.seq = next
        }
        if segment.seq == next {
            out.append(.data(segment.data, frame: segment.frame, time: segment.time))
            nextSeq = next &+ UInt32(truncatingIfNeeded: segment.data.count)
            drain(out: &out)
            return
        }
        // Out of order: keep sorted by distance from nextSeq; an exact duplicate is dropped.
        let distance = Self.distance(from: next, to: segment.seq)
        var index = pending.count
        while index > 0 {
            let other = Self.distance(from: next, to: pending[index - 1].seq)
            if other == distance && pending[index - 1].data.count >= segment.data.count {
                retransmittedOctets += segment.data.count
                return
            }
            if other <= distance { break }
            index -= 1
        }
        pending.insert(segment, at: index)
        pendingOctets += segment.data.count
    }

    /// Delivers buffered segments that now start at or before nextSeq.
    private mutating func drain(out: inout [StreamChunk]) {
        while let first = pending.first, var next = nextSeq {
            let offset = Self.distance(from: next, to: first.seq)
            if offset > 0 { break }
            pending.removeFirst()
            pendingOctets -= first.data.count
            let skip = -offset
            if skip < first.data.count {
                let data = first.data.dropFirst(skip)
                out.append(.data(data, frame: first.frame, time: first.time))
                next = next &+ UInt32(truncatingIfNeeded: data.count)
                nextSeq = next
            } else {
                retransmittedOctets += first.data.count
            }
        }
    }

    /// Declares the hole before the first buffered segment a gap and moves past it.
    private mutating func skipToFirstPending(out: inout [StreamChunk]) {
        guard let first = pending.first, let next = nextSeq else { return }
        let missing = Self.distance(from: next, to: first.seq)
        if missing > 0 {
            out.append(.gap(octets: missing, frame: first.frame, time: first.time))
            nextSeq = first.seq
        }
        drain(out: &out)
    }

    private mutating func checkFIN(frame: Int, time: Int64, out: inout [StreamChunk]) {
        if !isClosed, let fin = finSeq, let next = nextSeq, Self.distance(from: fin, to: next) >= 0, pending.isEmpty {
            isClosed = true
            out.append(.end(frame: frame, time: time))
        }
    }
}
