#if canImport(Glibc)
    import Glibc
#endif

/// Writes classic pcap files from ``CapturedPacket`` values.
///
/// Format choice: little-endian classic pcap, version 2.4, with the **nanosecond** magic
/// `a1b23c4d` by default so live and pcapng timestamps survive unchanged; tcpdump, tshark and
/// libpcap ≥ 1.5 read it. Pass `.microseconds` for the traditional `a1b2c3d4` magic (timestamps
/// are then truncated to microseconds). The link type is written as the `LINKTYPE_` value the
/// packets carry; one file has one link type, so a packet with another link type is rejected.
///
/// Writes are buffered; ``flush()`` pushes them to the file and ``close()`` flushes and closes.
/// The path `-` writes to standard output.
public final class PcapWriter {
    /// Timestamp resolution of the written file.
    public enum TimestampPrecision: Hashable, Sendable {
        /// Magic `a1b2c3d4`, fraction field in microseconds.
        case microseconds
        /// Magic `a1b23c4d`, fraction field in nanoseconds.
        case nanoseconds
    }

    /// The path written to (`-` for standard output).
    public let path: String
    /// The file's link type.
    public let linkType: LinkType
    /// The snap length recorded in the header; longer packets are cut to it.
    public let snapLength: Int
    /// The timestamp resolution (and magic number) of the file.
    public let timestampPrecision: TimestampPrecision
    /// Packets accepted by ``write(_:)`` so far.
    public private(set) var packetsWritten = 0

    private var fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private static let bufferLimit = 64 * 1024

    /// Creates (or truncates) `path` and writes the pcap file header.
    public init(path: String, linkType: LinkType, snapLength: Int = 262_144, timestampPrecision: TimestampPrecision = .nanoseconds) throws {
        guard snapLength > 0, snapLength <= Int(Int32.max) else {
            throw PacketCaptureError(.invalidArgument, "snap length \(snapLength) is out of range", path: path)
        }
        self.path = path
        self.linkType = linkType
        self.snapLength = snapLength
        self.timestampPrecision = timestampPrecision
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            ownsDescriptor = true
            if fd < 0 {
                throw PacketCaptureError(.writeFailed, "cannot create: \(errnoText())", path: path)
            }
        }
        let magic: UInt32 = timestampPrecision == .nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4
        append32(magic)
        append16(2)
        append16(4)
        append32(0)  // thiszone
        append32(0)  // sigfigs
        append32(UInt32(snapLength))
        append32(linkType.rawValue)
        try flush()
    }

    deinit {
        try? close()
    }

    /// Appends one packet record. The data is cut to ``snapLength``; the original length is kept.
    public func write(_ packet: CapturedPacket) throws {
        guard fd >= 0 else {
            throw PacketCaptureError(.writeFailed, "the writer is closed", path: path, frameNumber: packet.frameNumber)
        }
        guard packet.linkType == linkType else {
            throw PacketCaptureError(
                .linkTypeMismatch, "packet has link type \(packet.linkType) but the file was opened for \(linkType)", path: path,
                frameNumber: packet.frameNumber)
        }
        let timestamp = packet.timestampNanoseconds
        var seconds = timestamp / 1_000_000_000
        var nanos = timestamp % 1_000_000_000
        if nanos < 0 {
            seconds -= 1
            nanos += 1_000_000_000
        }
        guard let wireSeconds = UInt32(exactly: seconds) else {
            throw PacketCaptureError(
                .invalidArgument, "timestamp \(timestamp) ns is outside the classic pcap range (1970–2106)", path: path, frameNumber: packet.frameNumber)
        }
        let fraction = timestampPrecision == .nanoseconds ? nanos : nanos / 1000
        let captured = min(packet.data.count, snapLength)
        let original = max(packet.originalLength, captured)
        guard let wireOriginal = UInt32(exactly: original) else {
            throw PacketCaptureError(.invalidArgument, "original length \(original) does not fit in 32 bits", path: path, frameNumber: packet.frameNumber)
        }
        append32(wireSeconds)
        append32(UInt32(fraction))
        append32(UInt32(captured))
        append32(wireOriginal)
        buffer.append(contentsOf: packet.data.prefix(captured))
        packetsWritten += 1
        if buffer.count >= Self.bufferLimit { try flush() }
    }

    /// Writes buffered records to the file.
    public func flush() throws {
        guard fd >= 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errnoText()
                buffer.removeFirst(offset)
                throw PacketCaptureError(.writeFailed, "write failed: \(reason)", path: path)
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file. Safe to call more than once.
    public func close() throws {
        guard fd >= 0 else { return }
        defer {
            if ownsDescriptor { _ = closeDescriptor(fd) }
            fd = -1
        }
        try flush()
        if ownsDescriptor, fsync(fd) != 0, errno != EINVAL, errno != EROFS {
            throw PacketCaptureError(.writeFailed, "fsync failed: \(errnoText())", path: path)
        }
    }

    private func append16(_ value: UInt16) {
        buffer.append(UInt8(truncatingIfNeeded: value))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    private func append32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            buffer.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }
}
