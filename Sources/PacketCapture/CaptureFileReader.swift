import CPcap

/// The on-disk format of a capture file, as detected from its magic number.
public enum CaptureFileFormat: String, Hashable, Sendable, CustomStringConvertible {
    /// Classic libpcap format with microsecond timestamps (magic `a1b2c3d4`, either byte order).
    case pcap
    /// Classic libpcap format with nanosecond timestamps (magic `a1b23c4d`, either byte order).
    case pcapNanoseconds
    /// pcapng (Section Header Block `0a0d0d0a`), read by a native block reader.
    case pcapng

    /// The format's name: `pcap`, `pcapNanoseconds` or `pcapng`.
    public var description: String { rawValue }

    /// Detects the format from the first four octets of a file; `nil` when they are no known magic.
    public static func detect(magic: [UInt8]) -> CaptureFileFormat? {
        guard magic.count >= 4 else { return nil }
        let m = Array(magic.prefix(4))
        switch m {
        case [0xA1, 0xB2, 0xC3, 0xD4], [0xD4, 0xC3, 0xB2, 0xA1],
            // Alexey Kuznetzov's "modified" pcap, which libpcap also reads.
            [0xA1, 0xB2, 0xCD, 0x34], [0x34, 0xCD, 0xB2, 0xA1]:
            return .pcap
        case [0xA1, 0xB2, 0x3C, 0x4D], [0x4D, 0x3C, 0xB2, 0xA1]:
            return .pcapNanoseconds
        case [0x0A, 0x0D, 0x0D, 0x0A]:
            return .pcapng
        default:
            return nil
        }
    }
}

/// Reads packets from a pcap or pcapng file, one at a time, with no libpcap types in its API.
///
/// The format is chosen by magic number: classic pcap (either byte order, micro- or nanosecond
/// timestamps) is read through libpcap at nanosecond precision; pcapng through a native block
/// reader that keeps each packet's interface name and link type, across several sections.
///
/// ```swift
/// let reader = try CaptureFileReader(path: "dns.pcapng")
/// while let packet = try reader.next() {
///     print(packet.frameNumber, packet.linkType, packet.interfaceName ?? "-")
/// }
/// ```
///
/// ``next()`` returns every readable packet first; when the file is cut or damaged it then
/// throws a ``PacketCaptureError`` whose `frameNumber` is the packet that could not be read.
public final class CaptureFileReader {
    /// The path the reader was opened with (`-` for standard input).
    public let path: String
    /// True when the input is a pipe, a terminal or standard input: read once, as it arrives
    /// (`tcpdump -U -w - | kubetape inspect -`).
    public let isStream: Bool

    /// For a stream: called when the reader is about to wait for more of it (nothing is ready to
    /// read), so that what was decoded so far can be shown before the wait. Not called while
    /// data keeps coming (a file piped in whole), nor for files.
    public var whenWaiting: (() -> Void)? {
        get { input.whenWaiting }
        set { input.whenWaiting = newValue }
    }

    /// The input, kept for ``whenWaiting`` (a classic file is read by libpcap from its own stream).
    private let input: FileInput
    /// The detected file format.
    public let format: CaptureFileFormat
    /// The file-wide link type of a classic pcap file; `nil` for pcapng, where every interface
    /// has its own (see ``interfaces``).
    public let fileLinkType: LinkType?

    private enum Backend {
        /// A libpcap handle reading a stream whose buffer is ours (freed after the handle).
        case classic(OpaquePointer, streamBuffer: UnsafeMutableRawPointer)
        case pcapng(PcapngReader)
        case closed
    }

    private var backend: Backend
    private var delivered = 0
    private var finished = false

    /// Opens `path` (`-`: standard input) and reads its file header.
    ///
    /// - Throws: ``PacketCaptureError`` with code `unreadableFile`, `notACaptureFile`,
    ///   `truncatedFile`, `malformedFile` or `unsupportedFormat`.
    public init(path: String) throws {
        self.path = path
        let input = try FileInput(path: path)
        self.input = input
        self.isStream = !input.isRegularFile
        let header = try input.peek(24)
        guard let format = CaptureFileFormat.detect(magic: header) else {
            input.close()
            if header.isEmpty {
                throw PacketCaptureError(.notACaptureFile, "the file is empty", path: path)
            }
            let shown = header.prefix(4).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            throw PacketCaptureError(.notACaptureFile, "not a pcap or pcapng file (first octets \(shown))", path: path)
        }
        self.format = format
        switch format {
        case .pcapng:
            // the header was only looked at: the native reader starts at offset 0
            self.fileLinkType = nil
            self.backend = .pcapng(PcapngReader(input: input))
        case .pcap, .pcapNanoseconds:
            var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
            // libpcap reads each record with two fread calls: a stream with a 1 MiB buffer (given
            // by us: glibc ignores a size without a buffer) and no locking (this reader is used
            // from one thread at a time) makes those cheap. A file is opened again for libpcap;
            // a pipe or standard input, which can be read only once, reaches libpcap through a
            // stdio stream over the input kubetape has started reading.
            let file: UnsafeMutablePointer<FILE>
            if input.isRegularFile && path != "-" {
                input.close()
                guard let opened = fopen(path, "rb") else {
                    throw PacketCaptureError(.unreadableFile, "cannot open: \(errnoText())", path: path)
                }
                file = opened
            } else {
                guard let opened = Self.stdioStream(over: input) else {
                    throw PacketCaptureError(.unreadableFile, "cannot open a stream over the input: \(errnoText())", path: path)
                }
                file = opened
            }
            let streamBuffer = UnsafeMutableRawPointer.allocate(byteCount: Self.streamBufferSize, alignment: 16)
            _ = setvbuf(file, streamBuffer.assumingMemoryBound(to: CChar.self), _IOFBF, Self.streamBufferSize)
            _ = __fsetlocking(file, Int32(FSETLOCKING_BYCALLER))
            guard let handle = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
                fclose(file)  // libpcap leaves the stream to the caller when it fails
                streamBuffer.deallocate()
                let message = text(fromCBuffer: errbuf)
                let code: PacketCaptureError.Code = message.contains("truncated") ? .truncatedFile : .malformedFile
                throw PacketCaptureError(code, "libpcap: \(message)", path: path)
            }
            // Report the link type exactly as the file header records it (libpcap would map
            // LINKTYPE_ values to this platform's DLT_ values, e.g. 101 to 12).
            if header.count >= 24 {
                let bigEndian = header[0] == 0xA1
                let field =
                    bigEndian
                    ? UInt32(header[20]) << 24 | UInt32(header[21]) << 16 | UInt32(header[22]) << 8 | UInt32(header[23])
                    : UInt32(header[23]) << 24 | UInt32(header[22]) << 16 | UInt32(header[21]) << 8 | UInt32(header[20])
                self.fileLinkType = LinkType(field & 0x03FF_FFFF)
            } else {
                self.fileLinkType = LinkType(dlt: pcap_datalink(handle))
            }
            self.backend = .classic(handle, streamBuffer: streamBuffer)
        }
    }

    deinit { close() }

    /// Convenience: opens `path` and reads every packet. Throws on the first problem, so use
    /// ``next()`` to keep the packets before a damaged record.
    public static func readAll(path: String) throws -> [CapturedPacket] {
        let reader = try CaptureFileReader(path: path)
        var packets: [CapturedPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        return packets
    }

    /// Interfaces described so far (pcapng IDBs of every section read up to now); empty for
    /// classic pcap.
    public var interfaces: [CaptureInterface] {
        if case .pcapng(let reader) = backend { return reader.allInterfaces }
        return []
    }

    /// The next packet, or `nil` at a clean end of file.
    ///
    /// After an error or the end, further calls return `nil`.
    public func next() throws -> CapturedPacket? {
        var packet = CapturedPacket.empty
        return try next(into: &packet) ? packet : nil
    }

    /// Reads the next packet into `packet`, reusing the storage of its ``CapturedPacket/data``
    /// when nothing else holds it: a loop that reads millions of packets into one variable then
    /// allocates no memory per packet. Returns false at a clean end of file (leaving `packet`
    /// as it was); throws as ``next()`` does.
    public func next(into packet: inout CapturedPacket) throws -> Bool {
        if finished { return false }
        do {
            let read: Bool
            switch backend {
            case .closed: read = false
            case .pcapng(let reader): read = try reader.next(into: &packet)
            case .classic(let handle, _): read = try nextClassic(handle, into: &packet)
            }
            guard read else {
                finished = true
                return false
            }
            delivered = packet.frameNumber
            return true
        } catch {
            finished = true
            throw error
        }
    }

    /// Releases the file; later calls to ``next()`` return `nil`.
    public func close() {
        switch backend {
        case .classic(let handle, let streamBuffer):
            pcap_close(handle)  // closes the stream, which no longer uses its buffer then
            streamBuffer.deallocate()
        case .pcapng, .closed: break
        }
        input.close()  // the pcapng reader's input (a classic file's is closed already)
        backend = .closed
    }

    /// The stdio buffer of a classic pcap stream.
    private static let streamBufferSize = 1 << 20

    /// A stdio stream whose reads come from `input` (which it keeps until it is closed).
    private static func stdioStream(over input: FileInput) -> UnsafeMutablePointer<FILE>? {
        let functions = kubetape_cookie_io_functions(
            read: { cookie, buffer, size in
                guard let cookie, let buffer else { return -1 }
                let input = Unmanaged<FileInput>.fromOpaque(cookie).takeUnretainedValue()
                // stdio reports a failed read as an error on the stream, which libpcap reports
                return (try? input.read(into: buffer, count: size)) ?? -1
            },
            write: nil, seek: nil,
            close: { cookie in
                guard let cookie else { return 0 }
                let input = Unmanaged<FileInput>.fromOpaque(cookie).takeRetainedValue()
                input.close()
                return 0
            })
        let cookie = Unmanaged.passRetained(input).toOpaque()
        guard let file = kubetape_fopencookie(cookie, "rb", functions) else {
            Unmanaged<FileInput>.fromOpaque(cookie).release()
            return nil
        }
        return file
    }

    /// One libpcap record into `packet`; false at the end of the file.
    private func nextClassic(_ handle: OpaquePointer, into packet: inout CapturedPacket) throws -> Bool {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var bytes: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &bytes)
        switch status {
        case 1:
            guard let header else { return false }
            let captured = bytes == nil ? 0 : Int(header.pointee.caplen)
            packet.replaceData(with: UnsafeBufferPointer(start: bytes, count: captured))
            // Opened at nanosecond precision: tv_usec carries nanoseconds.
            let seconds = Int64(header.pointee.ts.tv_sec)
            let fraction = Int64(header.pointee.ts.tv_usec)
            let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            packet.timestampNanoseconds = overflow ? (seconds < 0 ? Int64.min : Int64.max) : scaled &+ fraction
            packet.frameNumber = delivered + 1
            packet.linkType = fileLinkType ?? LinkType(dlt: pcap_datalink(handle))
            packet.originalLength = Int(header.pointee.len)
            packet.interfaceName = nil
            packet.interfaceIndex = 0
            return true
        case PCAP_ERROR_BREAK:
            return false  // end of file
        default:
            let message = String(cString: pcap_geterr(handle))
            let code: PacketCaptureError.Code = message.contains("truncated") ? .truncatedFile : .malformedFile
            throw PacketCaptureError(code, "libpcap: \(message)", path: path, frameNumber: delivered + 1)
        }
    }
}

extension LinkType {
    /// Maps a libpcap `DLT_` value of this platform to the `LINKTYPE_` value files carry.
    init(dlt: Int32) {
        switch dlt {
        case 12, 14: self = .raw  // DLT_RAW (Linux 12, OpenBSD 14)
        case 11: self = LinkType(100)  // DLT_ATM_RFC1483
        default: self = LinkType(UInt32(truncatingIfNeeded: dlt))
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
