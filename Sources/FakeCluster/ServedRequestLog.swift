import DNSWire
import NIOConcurrencyHelpers

/// One HTTP request a fake pod answered: who asked, which pod served it, and when.
public struct ServedRequest: Hashable, Sendable {
    /// Nanoseconds on the runtime's clock.
    public var time: Int64
    /// The client's address and port as the pod saw them (the forwarder's address for
    /// cluster-IP connections in the loopback plan).
    public var client: String
    /// `namespace/name` of the pod that served.
    public var pod: String
    /// The cluster address and port the request was served on (the pod IP, never loopback).
    public var podAddress: IPAddress
    public var port: UInt16
    public var method: String
    public var uri: String
    public var status: Int
    /// Sequence number of the TCP connection the request came on, per runtime.
    public var connection: Int
}

/// One TCP connection accepted by a fake pod or the cluster-IP forwarder.
public struct AcceptedConnection: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// A connection straight to a pod IP.
        case pod
        /// A connection to a cluster IP, forwarded to `backend`.
        case forwarded
        /// A connection to a cluster IP whose service has no ready endpoints: refused.
        case refused
    }

    public var time: Int64
    public var kind: Kind
    public var client: String
    /// The address the client dialled (pod IP or cluster IP, never loopback).
    public var destination: IPAddress
    public var port: UInt16
    /// `namespace/name` of the pod that got the connection, if any.
    public var backend: String?
    public var connection: Int
}

/// Thread-safe log of what the fake cluster's pods and forwarder did, for reports.
public final class ServedRequestLog: Sendable {
    private let state = NIOLockedValueBox<(requests: [ServedRequest], connections: [AcceptedConnection], nextConnection: Int)>(([], [], 1))

    /// Requests and connections kept (each): at least the latest `limit`; when twice as many
    /// have piled up the older half is dropped at once, so a long `serve` under load stays flat.
    /// Indices into the arrays stay valid only while fewer than `2 * limit` were recorded.
    public let limit: Int

    /// No limit in practice (the largest limit whose double still fits an Int).
    public static let unlimited = Int.max / 2

    public init(limit: Int = ServedRequestLog.unlimited) {
        self.limit = min(max(limit, 1), ServedRequestLog.unlimited)
    }

    func nextConnectionNumber() -> Int {
        state.withLockedValue { value in
            defer { value.nextConnection += 1 }
            return value.nextConnection
        }
    }

    func record(_ request: ServedRequest) {
        let limit = self.limit
        state.withLockedValue { value in
            value.requests.append(request)
            if value.requests.count >= 2 * limit { value.requests.removeFirst(value.requests.count - limit) }
        }
    }

    func record(_ connection: AcceptedConnection) {
        let limit = self.limit
        state.withLockedValue { value in
            value.connections.append(connection)
            if value.connections.count >= 2 * limit { value.connections.removeFirst(value.connections.count - limit) }
        }
    }

    /// Every request served so far, in the order they were answered.
    public var requests: [ServedRequest] { state.withLockedValue { $0.requests } }
    /// Every connection accepted so far.
    public var connections: [AcceptedConnection] { state.withLockedValue { $0.connections } }
}
