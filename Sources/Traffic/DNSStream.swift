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
