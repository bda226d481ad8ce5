import DNSWire
import NIOCore
import Testing

/// DNS-over-TCP framing: any split of the stream yields the same messages in order.
struct TCPFrameDecoderTests {
    static func stream() throws -> (frames: [[UInt8]], bytes: [UInt8]) {
        let frames = [
            try Samples.headlessAnswer.wireBytes(), try Samples.nxdomain.wireBytes(), [0x42], try PeerFixtures.bytes("dig-srv.query.hex"),
        ]
        var bytes: [UInt8] = []
        for frame in frames {
            bytes += Array(try DNSTCPFrameDecoder.frame(ByteBuffer(bytes: frame)).readableBytesView)
        }
        return (frames, bytes)
    }

    static func drain(_ decoder: inout DNSTCPFrameDecoder) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let frame = try decoder.nextFrame() { out.append(Array(frame.readableBytesView)) }
        return out
    }

    @Test func frameHelperPrefixesTheLength() throws {
        let framed = try DNSTCPFrameDecoder.frame(ByteBuffer(bytes: [1, 2, 3]))
        #expect(Array(framed.readableBytesView) == [0, 3, 1, 2, 3])
    }

    @Test func splitAtEveryByteBoundary() throws {
        let (frames, bytes) = try Self.stream()
        for cut in 0...bytes.count {
            var decoder = DNSTCPFrameDecoder()
            decoder.append(bytes[0..<cut])
            var got = try Self.drain(&decoder)
            decoder.append(ByteBuffer(bytes: bytes[cut...]))
            got += try Self.drain(&decoder)
            #expect(got == frames, "split at \(cut)")
            #expect(decoder.bufferedOctets == 0)
            #expect(decoder.consumedOctets == bytes.count)
        }
    }

    @Test func oneByteAtATime() throws {
        let (frames, bytes) = try Self.stream()
        var decoder = DNSTCPFrameDecoder()
        var got: [[UInt8]] = []
        for byte in bytes {
            decoder.append([byte])
            got += try Self.drain(&decoder)
        }
        #expect(got == frames)
    }

    @Test func severalMessagesInOneChunk() throws {
        let (frames, bytes) = try Self.stream()
        var decoder = DNSTCPFrameDecoder()
        decoder.append(ByteBuffer(bytes: bytes))
        let got = try Self.drain(&decoder)
        #expect(got == frames)
        // and the frames decode as DNS messages again
        #expect(try DNSMessage(wireFormat: got[0]) == Samples.headlessAnswer)
    }

    @Test func incompleteFrameWaits() throws {
        var decoder = DNSTCPFrameDecoder()
        decoder.append([0])
        #expect(try decoder.nextFrame() == nil)
        decoder.append([3, 1, 2])
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedOctets == 4)
        decoder.append([3])
        #expect(try decoder.nextFrame().map { Array($0.readableBytesView) } == [1, 2, 3])
    }

    @Test func zeroLengthFrameInTheMiddleIsAnError() throws {
        var decoder = DNSTCPFrameDecoder()
        decoder.append([0, 1, 0xaa, 0, 0, 0, 1, 0xbb])
        #expect(try decoder.nextFrame().map { Array($0.readableBytesView) } == [0xaa])
        expectWireError(.emptyFrame, at: 3) { _ = try decoder.nextFrame() }
    }

    @Test func largestFrameRoundTrips() throws {
        let payload = [UInt8](repeating: 7, count: 65535)
        var decoder = DNSTCPFrameDecoder()
        decoder.append(try DNSTCPFrameDecoder.frame(ByteBuffer(bytes: payload)))
        #expect(try decoder.nextFrame()?.readableBytes == 65535)
    }
}
