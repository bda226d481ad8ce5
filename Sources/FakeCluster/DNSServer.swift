import DNSWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Settings of the DNS server; the defaults suit the loopback address plan.
public struct DNSServerConfiguration: Sendable {
    /// Address to listen on, UDP and TCP alike.
    public var host: String = "127.0.0.1"
    /// Port; 0 picks a free one (read it back from ``DNSServer/localAddress``).
    public var port: Int = 10053
    /// A TCP connection with no complete query for this long is closed.
    public var tcpIdleTimeout: TimeAmount = .seconds(10)

    /// When set, the sockets are opened inside this network namespace (netns plan).
    public var namespace: NetworkNamespace?
    /// UDP sockets sharing the port with SO_REUSEPORT, each on its own event loop, so that
    /// queries are answered on several cores (loopback plan; 1 in the netns plan).
    public var udpSockets: Int = 1

    public init(host: String = "127.0.0.1", port: Int = 10053, tcpIdleTimeout: TimeAmount = .seconds(10)) {
        self.host = host
        self.port = port
        self.tcpIdleTimeout = tcpIdleTimeout
    }
}

/// A DNS server on UDP and TCP (same address and port) that hands every query to a
/// ``DNSQueryHandler``: pipelined TCP queries, idle TCP connections closed, malformed input
/// answered with FORMERR or dropped, never fatal.
public final class DNSServer: Sendable {
    public let configuration: DNSServerConfiguration
    let handler: any DNSQueryHandler
    let group: any EventLoopGroup
    let logger: Logger
    private let channels: NIOLockedValueBox<(udp: Channel, tcp: Channel)?> = NIOLockedValueBox(nil)
    private let extraUDP = NIOLockedValueBox<[Channel]>([])

    public init(
        configuration: DNSServerConfiguration = DNSServerConfiguration(), handler: some DNSQueryHandler,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "kubetape.dns")
    ) {
        self.configuration = configuration
        self.handler = handler
        self.group = group
        self.logger = logger
    }

    /// Binds UDP and TCP; returns once both accept queries. With port 0, a port free for both
    /// protocols is searched (UDP picks it, TCP may find it taken, then another is tried).
    public func start() async throws {
        var attempt = 0
        while true {
            do {
                try await bindBoth()
                return
            } catch let error as IOError where error.errnoCode == EADDRINUSE && configuration.port == 0 && attempt < 20 {
                attempt += 1
            }
        }
    }

    private func bindBoth() async throws {
        let handler = self.handler
        let logger = self.logger
        let idle = configuration.tcpIdleTimeout
        let sharing = configuration.namespace == nil && configuration.udpSockets > 1
        // every UDP socket on its own event loop (the group's next() would hand the second one the
        // loop of the first once TCP took the other), so that several sockets use several cores
        let loops = Array(group.makeIterator())
        func udpBootstrap(_ index: Int) -> DatagramBootstrap {
            DatagramBootstrap(group: loops.isEmpty ? group : loops[index % loops.count])
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: sharing ? 1 : 0)
                // read up to 32 datagrams per system call and answer them in one flush (sendmmsg)
                // before reading more, so that no reply waits for more than one batch
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.maxMessagesPerRead, value: 1)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPQueryHandler(handler: handler, logger: logger))
                    }
                }
        }
        let host = configuration.host
        let udp: Channel
        if let namespace = configuration.namespace {
            let port = UInt16(configuration.port)
            let fd = try namespace.perform { try RawSocket.bound(address: host, port: port, tcp: false) }
            udp = try await udpBootstrap(0).withBoundSocket(fd).get()
        } else {
            udp = try await udpBootstrap(0).bind(host: host, port: configuration.port).get()
        }
        // TCP on the same port UDP got (which matters when the configured port is 0)
        let port = udp.localAddress?.port ?? configuration.port
        let tcp: Channel
        do {
            let tcpBootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                        try channel.pipeline.syncOperations.addHandler(TCPQueryHandler(handler: handler, logger: logger))
                    }
                }
            if let namespace = configuration.namespace {
                let fd = try namespace.perform { try RawSocket.bound(address: host, port: UInt16(port), tcp: true) }
                tcp = try await tcpBootstrap.withBoundSocket(fd).get()
            } else {
                tcp = try await tcpBootstrap.bind(host: host, port: port).get()
            }
        } catch {
            try? await udp.close()
            throw error
        }
        var extra: [Channel] = []
        if sharing {
            do {
                for index in 1..<configuration.udpSockets {
                    extra.append(try await udpBootstrap(index).bind(host: host, port: port).get())
                }
            } catch {
                for channel in extra { try? await channel.close() }
                try? await udp.close()
                try? await tcp.close()
                throw error
            }
        }
        channels.withLockedValue { $0 = (udp, tcp) }
        extraUDP.withLockedValue { $0 = extra }
        logger.info("dns server listening", metadata: ["dns.address": "\(udp.localAddress.map { "\($0)" } ?? "?")"])
    }

    /// The bound address (UDP and TCP share it), once started.
    public var localAddress: SocketAddress? {
        channels.withLockedValue { $0?.udp.localAddress }
    }

    /// Starts, then serves until ``shutdown()`` is called or the task is cancelled.
    public func run() async throws {
        try await start()
        try await withTaskCancellationHandler {
            let pair = channels.withLockedValue { $0 }
            if let pair {
                try await pair.udp.closeFuture.get()
                try await pair.tcp.closeFuture.get()
            }
        } onCancel: {
            self.closeChannels()
        }
    }

    /// Stops listening; in-flight replies on open TCP connections may still be written.
    public func shutdown() async {
        let pair = channels.withLockedValue { $0 }
        guard let pair else { return }
        for channel in extraUDP.withLockedValue({ $0 }) { try? await channel.close() }
        try? await pair.udp.close()
        try? await pair.tcp.close()
    }

    private func closeChannels() {
        let pair = channels.withLockedValue { $0 }
        for channel in extraUDP.withLockedValue({ $0 }) { channel.close(promise: nil) }
        pair?.udp.close(promise: nil)
        pair?.tcp.close(promise: nil)
    }
}

/// Answers datagrams; a thin shell around ``DNSExchange``. The replies to one read batch are
/// written back to back into one buffer (no allocation per reply once it has grown) and sent as
/// slices of it in one flush (sendmmsg).
final class UDPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let handler: any DNSQueryHandler
    let logger: Logger
    /// The replies of the current batch, back to back.
    var batch = ByteBuffer()
    /// Where each reply of the batch goes and where it lies in ``batch``.
    var pending: [(address: SocketAddress, start: Int, length: Int)] = []

    init(handler: any DNSQueryHandler, logger: Logger) {
        self.handler = handler
        self.logger = logger
        pending.reserveCapacity(64)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        batch = context.channel.allocator.buffer(capacity: 16 * 1024)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let start = batch.writerIndex
        guard DNSExchange.reply(to: envelope.data, transport: .udp, handler: handler, into: &batch) else { return }
        pending.append((envelope.remoteAddress, start, batch.writerIndex - start))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !pending.isEmpty else { return }
        for reply in pending {
            if let slice = batch.getSlice(at: reply.start, length: reply.length) {
                context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: reply.address, data: slice)), promise: nil)
            }
        }
        pending.removeAll(keepingCapacity: true)
        context.flush()
        // once the slices are sent the storage is ours alone again and is reused as it is;
        // a write still pending keeps its slice, and the batch gets fresh storage
        batch.clear()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP errors and the like must not stop the server
        logger.debug("udp error", metadata: ["dns.error": "\(error)"])
    }
}

/// Splits a TCP stream into queries, answers each in order, closes on garbage or idleness.
final class TCPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let handler: any DNSQueryHandler
    let logger: Logger
    var frames = DNSTCPFrameDecoder()

    init(handler: any DNSQueryHandler, logger: Logger) {
        self.handler = handler
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames.append(unwrapInboundIn(data))
        do {
            var wrote = false
            while let frame = try frames.nextFrame() {
                guard let reply = DNSExchange.reply(to: frame, transport: .tcp, handler: handler) else {
                    // an undecodable header on TCP: the stream cannot be trusted any more
                    context.close(promise: nil)
                    return
                }
                context.write(wrapOutboundOut(try DNSTCPFrameDecoder.frame(reply)), promise: nil)
                wrote = true
            }
            if wrote { context.flush() }
        } catch {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
