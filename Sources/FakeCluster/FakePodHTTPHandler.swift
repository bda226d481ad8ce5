import DNSWire
import NIOCore
import NIOHTTP1

/// What a fake pod answers on one port, and where it logs.
struct FakePodEndpoint: Sendable {
    var podName: String
    var podAddress: IPAddress
    var port: UInt16
    var body: String
    var log: ServedRequestLog
    var clock: @Sendable () -> Int64
}

/// Serves every HTTP/1.1 request with the pod's body (keep-alive honoured) and logs it.
final class FakePodHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let endpoint: FakePodEndpoint
    let connection: Int
    var head: HTTPRequestHead?

    init(endpoint: FakePodEndpoint, connection: Int) {
        self.endpoint = endpoint
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, to: head)
        }
    }

    func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        let body = context.channel.allocator.buffer(string: endpoint.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus.ok
        // logged before the reply is written, so a client that has read the reply finds it in the log
        endpoint.log.record(
            ServedRequest(
                time: endpoint.clock(), client: context.channel.remoteAddress.map(FakePodHTTPHandler.text) ?? "?", pod: endpoint.podName,
                podAddress: endpoint.podAddress, port: endpoint.port, method: head.method.rawValue, uri: head.uri, status: Int(status.code),
                connection: connection))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    static func text(_ address: SocketAddress) -> String {
        "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }
}
