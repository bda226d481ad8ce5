import NIOCore

/// Splits a DNS-over-TCP byte stream (RFC 1035 4.2.2, RFC 7766) into messages: each message is
/// preceded by a 2-octet length. Bytes may arrive in any split; several messages may share one
/// read. A value type with no channel, shared by the server and the capture path.
public struct DNSTCPFrameDecoder: Sendable {
    private var pending: ByteBuffer
    /// Total stream octets consumed so far, for error offsets.
    public private(set) var consumedOctets = 0

    public init() {
        pending = ByteBufferAllocator().buffer(capacity: 0)
    }

    /// Octets received but not yet returned as a whole frame.
    public var bufferedOctets: Int { pending.readableBytes }

    /// Appends stream bytes.
    public mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        pending.writeBuffer(&bytes)
    }

    /// Appends stream bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        pending.writeBytes(bytes)
    }

    /// The next complete message, `nil` if more bytes are needed; throws on a zero-length frame.
    public mutating func nextFrame() throws -> ByteBuffer? {
        guard let length = pending.getInteger(at: pending.readerIndex, as: UInt16.self) else { return nil }
        guard length > 0 else {
            throw DNSWireError(.emptyFrame, at: consumedOctets, "DNS-over-TCP frame of length 0")
        }
        guard pending.readableBytes >= 2 + Int(length) else { return nil }
        pending.moveReaderIndex(forwardBy: 2)
        let frame = pending.readSlice(length: Int(length))
        consumedOctets += 2 + Int(length)
        if pending.readableBytes == 0 { pending.clear() } else if pending.readerIndex > 65536 { pending.discardReadBytes() }
        return frame
    }

    /// Prefixes `message` with its 2-octet length, ready to send on a TCP stream.
    public static func frame(_ message: ByteBuffer) throws -> ByteBuffer {
        guard message.readableBytes <= DNSWireLimits.maxMessageSize else {
            throw DNSWireError(.messageTooLarge, at: nil, "message of \(message.readableBytes) octets cannot be framed")
        }
        var out = ByteBufferAllocator().buffer(capacity: message.readableBytes + 2)
        out.writeInteger(UInt16(message.readableBytes))
        var copy = message
        out.writeBuffer(&copy)
        return out
    }
}
