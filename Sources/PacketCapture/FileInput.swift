#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffered, read-only file opened with POSIX calls; used by the native pcapng reader and for
/// sniffing magic numbers. Reads return fewer bytes than asked only at end of file.
final class FileInput {
    let path: String
    private var fd: Int32
    // Used from one thread at a time and never re-entered: no dynamic exclusivity checks.
    /// Octets read ahead: `buffer[bufferStart..<bufferEnd]` come next.
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var bufferStart = 0
    @exclusivity(unchecked) private var bufferEnd = 0
    /// Offset in the file of the next byte `read` returns.
    @exclusivity(unchecked) private(set) var offset = 0
    @exclusivity(unchecked) private var atEOF = false

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            throw PacketCaptureError(.unreadableFile, "cannot open: \(errnoText())", path: path)
        }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            _ = closeDescriptor(fd)
            throw PacketCaptureError(.unreadableFile, "is a directory", path: path)
        }
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

    /// Refills the buffer with the next 64 KiB of the file (read into the buffer's own storage).
    private func fill() throws {
        if buffer.count != Self.chunkSize { buffer = [UInt8](repeating: 0, count: Self.chunkSize) }
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress, raw.count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw PacketCaptureError(.unreadableFile, "read failed: \(errnoText())", path: path)
            }
            if n == 0 { atEOF = true }
            bufferStart = 0
            bufferEnd = n
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
