import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Runs NIOHTTP1's `HTTPRequestDecoder` and `HTTPResponseDecoder` for every HTTP connection of
/// one ``TrafficDecoder`` without a channel per stream.
///
/// A decoder needs a `ChannelHandlerContext` to fire its parts into. The host owns two channels
/// built once, each with a do-nothing anchor handler whose context the decoders use, followed by
/// a collector that keeps the parts (and the first error) for the connection parser to read. Each
/// stream keeps its own decoder and cumulation buffer and is fed the way `ByteToMessageHandler`
/// feeds a decoder: octets appended to the buffer, `decode` once per segment (the HTTP decoder
/// always asks for more data), `decodeLast` with EOF when the stream ends, and
/// `decoderAdded`/`decoderRemoved` around its life.
///
/// Not thread-safe: it belongs to one decoder, created on the thread that decodes.
final class HTTPDecoderHost {
    /// The end of a host channel's pipeline: keeps what the decoder fired.
    class Collector<Part>: ChannelInboundHandler {
        typealias InboundIn = Part

        /// Parts fired since the connection parser last read them.
        @exclusivity(unchecked) var parts: [Part] = []
        /// The first error fired since the last ``takeError()``.
        @exclusivity(unchecked) private var error: (any Error)?

        init() { parts.reserveCapacity(8) }

        /// Overridden by ``RequestCollector`` and ``ResponseCollector``, where `Part` is a concrete
        /// type: there the cast out of `NIOAny` does not look up generic metadata for every part.
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            parts.append(unwrapInboundIn(data))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if self.error == nil { self.error = error }
        }

        func takeError() -> (any Error)? {
            defer { error = nil }
            return error
        }
    }

    /// The collector of request parts.
    final class RequestCollector: Collector<HTTPServerRequestPart> {
        override func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            parts.append(unwrapInboundIn(data))
        }
    }

    /// The collector of response parts.
    final class ResponseCollector: Collector<HTTPClientResponsePart> {
        override func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            parts.append(unwrapInboundIn(data))
        }
    }

    /// Where the decoders fire from: its context's next handler is the collector.
    private final class Anchor: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
    }

    /// One direction of one connection: a decoder and the octets it has not consumed yet. A class,
    /// so that the decoder is removed exactly once (NIOHTTP1's parser releases a retain of itself
    /// then), also when a connection is dropped without a last ``decodeEOF(collector:)``.
    final class Stream<Decoder: ByteToMessageDecoder> {
        // Touched only from the decoding thread, never while another access is open: no
        // dynamic exclusivity checks (a measurable share of the per-segment cost).
        @exclusivity(unchecked) private(set) var decoder: Decoder
        @exclusivity(unchecked) private var buffer: ByteBuffer
        private let context: ChannelHandlerContext
        @exclusivity(unchecked) private var removed = false

        fileprivate init(decoder: Decoder, context: ChannelHandlerContext) {
            self.decoder = decoder
            self.context = context
            buffer = context.channel.allocator.buffer(capacity: 0)
            self.decoder.decoderAdded(context: context)
        }

        /// Appends `bytes` and lets the decoder read what it can; the parts land in `collector`.
        /// Returns the error the decoder threw or fired first, if any; the stream must then be
        /// removed.
        func decode(_ bytes: ArraySlice<UInt8>, collector: Collector<Decoder.InboundOut>) -> (any Error)? {
            if buffer.readableBytes == 0 { buffer.clear() }
            buffer.writeBytes(bytes)
            guard buffer.readableBytes > 0 else { return nil }
            var thrown: (any Error)?
            do {
                _ = try decoder.decode(context: context, buffer: &buffer)
            } catch {
                thrown = error
            }
            if buffer.readerIndex > 4096, buffer.readerIndex > buffer.capacity / 2 { buffer.discardReadBytes() }
            if let error = collector.takeError() ?? thrown { return error }
            // the parser consumes bodies as they come; octets it leaves are a head in progress or
            // a stream it has stopped reading (after an upgrade or CONNECT): bounded either way
            if buffer.readableBytes > HTTPDecoderHost.maximumUnconsumedOctets { return UnparsedOctetsLimit(octets: buffer.readableBytes) }
            return nil
        }

        /// The stream ended (FIN): the decoder reads what is left and then EOF, and is removed.
        func decodeEOF(collector: Collector<Decoder.InboundOut>) -> (any Error)? {
            var thrown: (any Error)?
            do {
                _ = try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: true)
            } catch {
                thrown = error
            }
            remove()
            return collector.takeError() ?? thrown
        }

        /// Tells the decoder it is done (NIOHTTP1's parser holds itself until then); once.
        func remove() {
            guard !removed else { return }
            removed = true
            decoder.decoderRemoved(context: context)
        }

        deinit { remove() }
    }

    /// Octets a stream may hold that its parser has not consumed (heads are far smaller).
    static let maximumUnconsumedOctets = 1 << 20

    /// A stream held more than ``maximumUnconsumedOctets`` that its parser did not read.
    struct UnparsedOctetsLimit: Error, CustomStringConvertible {
        var octets: Int
        var description: String {
            "\(octets) octets left unparsed (more than \(HTTPDecoderHost.maximumUnconsumedOctets)): the parser stopped reading, as after an upgrade or CONNECT"
        }
    }

    let requests = RequestCollector()
    let responses = ResponseCollector()
    private let requestChannel = EmbeddedChannel()
    private let responseChannel = EmbeddedChannel()
    private let requestContext: ChannelHandlerContext
    private let responseContext: ChannelHandlerContext

    init() {
        requestContext = Self.context(requestChannel, requests)
        responseContext = Self.context(responseChannel, responses)
    }

    deinit {
        // A channel and its pipeline hold each other until the channel is closed.
        _ = try? requestChannel.finish(acceptAlreadyClosed: true)
        _ = try? responseChannel.finish(acceptAlreadyClosed: true)
    }

    private static func context<Part>(_ channel: EmbeddedChannel, _ collector: Collector<Part>) -> ChannelHandlerContext {
        let anchor = Anchor()
        let pipeline = channel.pipeline.syncOperations
        // Adding handlers to a fresh embedded channel's pipeline on its own thread cannot fail.
        try! pipeline.addHandler(anchor)
        try! pipeline.addHandler(collector)
        return try! pipeline.context(handler: anchor)
    }

    /// A request stream (client to server) with a fresh decoder.
    func stream(_ decoder: HTTPRequestDecoder) -> Stream<HTTPRequestDecoder> {
        Stream(decoder: decoder, context: requestContext)
    }

    /// A response stream (server to client) with a fresh decoder.
    func stream(_ decoder: HTTPResponseDecoder) -> Stream<HTTPResponseDecoder> {
        Stream(decoder: decoder, context: responseContext)
    }
}
