#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffered, read-only file opened with POSIX calls; used by the native pcapng reader and for
/// sniffing magic numbers. Reads return fewer bytes than asked only at end of file. The path `-`
/// is standard input (a duplicate of its descriptor, so that closing it leaves standard input).
final class FileInput {
    let path: String
    /// False for a pipe, a terminal or standard input: the input can be read only once, in order.
    let isRegularFile: Bool
    private var fd: Int32
    // Used from one thread at a time and never re-entered: no dynamic exclusivity checks.
    /// Octets read ahead: `buffer[bufferStart..<bufferEnd]` come next.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var bufferStart = 0
    @exclusivity(unchecked) private var bufferEnd = 0
    /// Offset in the file of the next byte `read` returns.
    @exclusivity(unchecked) private(set) var offset = 0
    @exclusivity(unchecked) private var atEOF = false
    /// Called before a read that would wait for a stream's writer (nothing is ready to read):
    /// the moment for a reader of a live capture to pass on what it has decoded.
    var whenWaiting: (() -> Void)?

    init(path: String) throws {
        self.path = path
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY)
        if fd < 0 {
            throw PacketCaptureError(.unreadableFile, "cannot open: \(errnoText())", path: path)
        }
        var st = stat()
        let known = fstat(fd, &st) == 0
        if known, (st.st_mode & S_IFMT) == S_IFDIR {
            _ = closeDescriptor(fd)
            throw PacketCaptureError(.unreadableFile, "is a directory", path: path)
        }
        self.isRegularFile = known && (st.st_mode & S_IFMT) == S_IFREG
        self.fd = fd
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            _ = closeDescriptor(fd)
            fd = -1
        }
    }

    /// Reads up to `count` octets; fewer only at end of file.
    func read(_ count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(count, 1 << 20))
        try read(count, appendingTo: &out)
        return out
    }

    /// The next `count` octets (fewer only at end of file), left to be read again.
    func peek(_ count: Int) throws -> [UInt8] {
        let count = min(count, Self.chunkSize)
        while bufferEnd - bufferStart < count, !atEOF, fd >= 0 {
            try fill()
        }
        return Array(buffer[bufferStart..<min(bufferEnd, bufferStart + count)])
    }

    /// Copies up to `count` octets to `target` and returns how many (0 at end of file): the read
    /// side of a stdio stream over this input.
    func read(into target: UnsafeMutableRawPointer, count: Int) throws -> Int {
        if bufferStart == bufferEnd, !atEOF, fd >= 0 { try fill() }
        let take = min(count, bufferEnd - bufferStart)
        guard take > 0 else { return 0 }
        buffer.withUnsafeBytes { raw in target.copyMemory(from: raw.baseAddress! + bufferStart, byteCount: take) }
        bufferStart += take
        offset += take
        return take
    }

    /// Appends up to `count` octets to `out` (fewer only at end of file), so that a caller that
    /// reads block after block can keep one array.
    func read(_ count: Int, appendingTo out: inout [UInt8]) throws {
        var wanted = count
        while wanted > 0 {
            if bufferStart == bufferEnd {
                if atEOF || fd < 0 { break }
                try fill()
                if bufferStart == bufferEnd { break }
            }
            let take = min(wanted, bufferEnd - bufferStart)
            out.append(contentsOf: buffer[bufferStart..<(bufferStart + take)])
            bufferStart += take
            offset += take
            wanted -= take
        }
    }

    /// Reads more of the file after the octets still buffered (moved to the front first): one
    /// read(2) of up to 64 KiB, which a pipe may answer with fewer.
    private func fill() throws {
        if buffer.count != Self.chunkSize { buffer = [UInt8](repeating: 0, count: Self.chunkSize) }
        let kept = bufferEnd - bufferStart
        if kept > 0, bufferStart > 0 {
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + bufferStart, byteCount: kept)
            }
        }
        bufferStart = 0
        bufferEnd = kept
        if let whenWaiting, !isRegularFile {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 0) == 0 { whenWaiting() }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + kept, raw.count - kept)
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    // standard input left non-blocking by whoever started us: wait for data
                    var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
                throw PacketCaptureError(.unreadableFile, "read failed: \(errnoText())", path: path)
            }
            if n == 0 { atEOF = true }
            bufferEnd = kept + n
            return
        }
    }

    private static let chunkSize = 65536
}

func closeDescriptor(_ fd: Int32) -> Int32 {
    Glibc.close(fd)
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// Text from a NUL-terminated C buffer such as libpcap's error buffer.
func text(fromCBuffer buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
