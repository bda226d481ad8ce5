import DNSWire
import NIOCore
import PacketCapture

/// Consumes captured packets one at a time and yields the timeline: every DNS message (over UDP or
/// reassembled TCP) and every HTTP/1.x exchange, in capture order, plus diagnostics for what could
/// not be decoded. A bad packet never stops decoding.
///
/// ```swift
/// let decoder = TrafficDecoder()
/// for packet in packets {
///     decoder.process(packet) { output in ... }
/// }
/// decoder.finish { output in ... }
/// ```
///
/// A reference type holding per-connection state; not thread-safe.
public final class TrafficDecoder {
    /// What to decode and how much memory and time state may take.
    public struct Configuration: Sendable {
        /// UDP and TCP ports whose traffic is DNS (either end). 53 by default.
        public var dnsPorts: Set<UInt16> = [53]
        /// TCP ports whose connections are HTTP/1.x even when no request line was seen (for
        /// connections whose start was not captured). 80 by default.
        public var httpPorts: Set<UInt16> = [80]
        /// Treat any TCP connection whose first captured octets form an HTTP/1.x request line as
        /// HTTP, whatever its port.
        public var detectHTTPByRequestLine = true
        /// Drop an event identical to one seen within ``duplicateWindowNanoseconds`` (the same
        /// packet recorded on two interfaces by `-i any`).
        public var foldDuplicates = false
        public var duplicateWindowNanoseconds: Int64 = 50_000_000
        /// How many body octets an HTTP event keeps.
        public var bodyPreviewLimit = 256
        public var limits = Limits()

        public init() {}
    }

    /// Memory and time bounds; every one of them, when hit, is reported as a diagnostic.
    public struct Limits: Sendable {
        /// Out-of-order octets buffered per TCP direction before the hole is declared a gap.
        public var maxStreamBufferOctets = 1 << 20
        /// Out-of-order octets buffered over all connections before the least recently active
        /// connection is flushed and forgotten.
        public var maxTotalBufferOctets = 64 << 20
        /// Connections tracked at once before the least recently active one is flushed.
        public var maxConnections = 65_536
        /// A connection silent for this long (capture time) is flushed and forgotten.
        public var connectionIdleTimeoutNanoseconds: Int64 = 120_000_000_000
        public var maxFragmentDatagrams = 1024
        public var maxFragmentOctets = 16 << 20
        public var fragmentTimeoutNanoseconds: Int64 = 30_000_000_000
        /// Unanswered DNS queries remembered for pairing.
        public var maxPendingQueries = 100_000
        public var queryTimeoutNanoseconds: Int64 = 30_000_000_000

        public init() {}
    }

    /// One thing the decoder produced.
    public enum Output: Sendable {
        case event(Event)
        case diagnostic(TrafficError)
    }

    /// Counters over everything processed so far.
    public struct Statistics: Sendable, Hashable {
        public var packets = 0
        /// Frames that carried no IP (ARP, LLDP, ...), skipped silently.
        public var nonIPFrames = 0
        public var malformedPackets = 0
        public var dnsMessages = 0
        public var httpExchanges = 0
        public var foldedDuplicates = 0
        public var streamGaps = 0
        public var retransmittedTCPOctets = 0
    }

    public let configuration: Configuration
    // The mutable state of the decoder and its connections is touched from the one thread that
    // decodes, never while another access to the same property is open (no callback reaches
    // it): the dynamic exclusivity checks, a measurable share of the per-packet cost, are off.
    @exclusivity(unchecked) public private(set) var statistics = Statistics()

    @exclusivity(unchecked) private var reportedLinkTypes: Set<UInt32> = []
    @exclusivity(unchecked) private var fragments: FragmentReassembler
    @exclusivity(unchecked) private var connections: [ConnectionKey: TCPConnection] = [:]
    @exclusivity(unchecked) private var connectionSerial = 0
    @exclusivity(unchecked) private var bufferedTCPOctets = 0
    @exclusivity(unchecked) private var tracker: DNSTransactionTracker
    @exclusivity(unchecked) private var recent: [Int: Int64] = [:]
    @exclusivity(unchecked) private var nextMaintenance: Int64 = .min
    @exclusivity(unchecked) private var chunksA: [StreamChunk] = []
    @exclusivity(unchecked) private var chunksB: [StreamChunk] = []
    @exclusivity(unchecked) private var scratchDiagnostics: [TrafficError] = []
    /// ``Configuration/dnsPorts`` as a bitmap, asked twice per packet.
    private let dnsPorts: PortSet
    /// NIOHTTP1's decoders run here for every HTTP connection; made with the first one, on the
    /// decoding thread.
    private lazy var httpHost = HTTPDecoderHost()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        dnsPorts = PortSet(configuration.dnsPorts)
        fragments = FragmentReassembler(
            limits: .init(
                maxDatagrams: configuration.limits.maxFragmentDatagrams, maxBufferedOctets: configuration.limits.maxFragmentOctets,
                timeoutNanoseconds: configuration.limits.fragmentTimeoutNanoseconds))
        tracker = DNSTransactionTracker(timeoutNanoseconds: configuration.limits.queryTimeoutNanoseconds, maxPending: configuration.limits.maxPendingQueries)
    }

    /// Decodes every packet and returns all outputs, for tests and small captures.
    public static func decodeAll(_ packets: some Sequence<CapturedPacket>, configuration: Configuration = Configuration()) -> [Output] {
        let decoder = TrafficDecoder(configuration: configuration)
        var outputs: [Output] = []
        for packet in packets { decoder.process(packet) { outputs.append($0) } }
        decoder.finish { outputs.append($0) }
        return outputs
    }

    /// The outputs this packet completes.
    public func decode(_ packet: CapturedPacket) -> [Output] {
        var outputs: [Output] = []
        process(packet) { outputs.append($0) }
        return outputs
    }

    /// Takes the next packet in capture order and passes every event and diagnostic it completes to `emit`.
    public func process(_ packet: CapturedPacket, _ emit: (Output) -> Void) {
        statistics.packets += 1
        let time = packet.timestampNanoseconds
        if time >= nextMaintenance {
            maintain(now: time, emit)
            nextMaintenance = Elapsed.adding(1_000_000_000, to: time)
        }
        let data = packet.data
        switch LinkLayer.decode(data, linkType: packet.linkType) {
        case .unsupported:
            if reportedLinkTypes.insert(packet.linkType.rawValue).inserted {
                emit(
                    .diagnostic(
                        TrafficError(
                            .unsupportedLinkType, frame: packet.frameNumber,
                            "link type \(packet.linkType) (\(packet.linkType.rawValue)) is not supported; its packets are skipped")))
            }
            return
        case .notIP:
            statistics.nonIPFrames += 1
            return
        case .malformed(let why):
            malformed(packet, why, emit)
            return
        case .ip(let offset, let version, let interface):
            let vantage = packet.interfaceIndex << 32 | (interface & 0xffff_ffff)
            switch IPLayer.decode(data, offset: offset, version: version) {
            case .ignored:
                return
            case .malformed(let why):
                malformed(packet, why, emit)
            case .packet(let ip):
                if let fragment = ip.fragment {
                    if ip.isCut {
                        malformed(packet, "IP fragment cut by the snap length", emit, code: .truncatedPacket)
                        return
                    }
                    let key = FragmentReassembler.Key(source: ip.source, destination: ip.destination, id: fragment.id, proto: ip.proto, vantage: vantage)
                    scratchDiagnostics.removeAll(keepingCapacity: true)
                    let datagram = fragments.add(
                        key, fragment: fragment, bytes: ip.payload, frame: packet.frameNumber, time: time, diagnostics: &scratchDiagnostics)
                    for d in scratchDiagnostics { emit(.diagnostic(d)) }
                    guard let datagram else { return }
                    var whole = ip
                    whole.payload = datagram.payload[...]
                    whole.wireLength = datagram.payload.count
                    whole.fragment = nil
                    transport(whole, frames: datagram.frames, frame: packet.frameNumber, time: time, vantage: vantage, emit)
                } else {
                    transport(ip, frames: nil, frame: packet.frameNumber, time: time, vantage: vantage, emit)
                }
            }
        }
    }

    /// The capture ended: open TCP streams are flushed (gaps reported), unanswered HTTP requests
    /// come out, and unfinished fragment sets are reported.
    public func finish(_ emit: (Output) -> Void) {
        for connection in connections.values.sorted(by: { $0.serial < $1.serial }) {
            close(connection, frame: connection.lastFrame, time: connection.lastTime, emit)
        }
        connections = [:]
        bufferedTCPOctets = 0
        scratchDiagnostics.removeAll(keepingCapacity: true)
        fragments.finish(diagnostics: &scratchDiagnostics)
        for d in scratchDiagnostics { emit(.diagnostic(d)) }
    }

    private func malformed(_ packet: CapturedPacket, _ why: String, _ emit: (Output) -> Void, code: TrafficError.Code = .malformedPacket) {
        statistics.malformedPackets += 1
        var reason = why
        var code = code
        if packet.isTruncated && code == .malformedPacket {
            code = .truncatedPacket
            reason += " (snap length kept \(packet.data.count) of \(packet.originalLength) octets)"
        }
        emit(.diagnostic(TrafficError(code, frame: packet.frameNumber, reason)))
    }

    // MARK: transport

    /// `frames` nil: the packet is one frame, `frame` (its array is only made for an event).
    private func transport(_ ip: IPPacket, frames: [Int]?, frame: Int, time: Int64, vantage: Int, _ emit: (Output) -> Void) {
        switch ip.proto {
        case 17: udp(ip, frames: frames, frame: frame, time: time, vantage: vantage, emit)
        case 6: tcp(ip, frame: frame, time: time, vantage: vantage, emit)
        default: return
        }
    }

    private func udp(_ ip: IPPacket, frames: [Int]?, frame: Int, time: Int64, vantage: Int, _ emit: (Output) -> Void) {
        let p = ip.payload
        let s = p.startIndex
        guard p.count >= 8 else {
            emit(.diagnostic(TrafficError(ip.isCut ? .truncatedPacket : .malformedPacket, frame: frame, "UDP header needs 8 octets, \(p.count) captured")))
            statistics.malformedPackets += 1
            return
        }
        let sport = UInt16(p[s]) << 8 | UInt16(p[s + 1])
        let dport = UInt16(p[s + 2]) << 8 | UInt16(p[s + 3])
        guard dnsPorts.contains(sport) || dnsPorts.contains(dport) else { return }
        var length = Int(UInt16(p[s + 4]) << 8 | UInt16(p[s + 5]))
        if length == 0 { length = ip.wireLength }  // jumbograms
        let source = Endpoint(address: ip.source, port: sport)
        let destination = Endpoint(address: ip.destination, port: dport)
        guard length >= 8, length <= ip.wireLength else {
            statistics.malformedPackets += 1
            emit(
                .diagnostic(
                    TrafficError(
                        .malformedPacket, frame: frame,
                        "UDP \(source) → \(destination): length field \(length) does not fit the \(ip.wireLength)-octet IP payload")))
            return
        }
        guard p.count >= length else {
            statistics.malformedPackets += 1
            emit(
                .diagnostic(
                    TrafficError(
                        .truncatedPacket, frame: frame,
                        "DNS message \(source) → \(destination) cut by the snap length: \(p.count - 8) of \(length - 8) octets captured")))
            return
        }
        // The message copied straight out of the packet (no slice of it is made).
        let octets = p.withUnsafeBytes { Array($0[8..<length]) }
        dns(octets: octets, source: source, destination: destination, transport: .udp, frame: frame, frames: frames, time: time, vantage: vantage, emit)
    }

    /// One DNS message; `frames` nil when it came in `frame` alone.
    private func dns(
        octets: [UInt8], source: Endpoint, destination: Endpoint, transport: TransportProtocol, frame: Int, frames: [Int]?, time: Int64, vantage: Int,
        _ emit: (Output) -> Void
    ) {
        let message: DNSWireMessage
        do {
            message = try DNSWireMessage(validating: octets, options: .strict)
        } catch {
            statistics.malformedPackets += 1
            emit(.diagnostic(TrafficError(.malformedDNS, frame: frame, "DNS message \(source) → \(destination) over \(transport.rawValue): \(error)")))
            return
        }
        if configuration.foldDuplicates {
            var hasher = Hasher()
            hasher.combine(source)
            hasher.combine(destination)
            hasher.combine(transport)
            octets.withUnsafeBytes { hasher.combine(bytes: $0) }
            if isDuplicate(hasher.finalize(), time: time) { return }
        }
        var event = DNSEvent(wire: message)
        if message.header.isResponse {
            let key = DNSTransactionTracker.key(message, client: destination, server: source, transport: transport)
            if let query = tracker.response(key, vantage: vantage) {
                event.queryFrame = query.frame
                event.latencyNanoseconds = Elapsed.nanoseconds(from: query.time, to: time)
            }
        } else {
            let key = DNSTransactionTracker.key(message, client: source, server: destination, transport: transport)
            var forgotten = DNSTransactionTracker.Forgotten()
            event.isRetransmission = tracker.query(key, frame: frame, time: time, vantage: vantage, forgotten: &forgotten)
            if forgotten.atTotalLimit > 0 {
                let limit = configuration.limits.maxPendingQueries
                emit(.diagnostic(TrafficError(.limitExceeded, frame: frame, "\(forgotten.atTotalLimit) unanswered DNS questions forgotten (limit \(limit))")))
            }
            if forgotten.oldestInFlow {
                let flow = "\(source) → \(destination) id \(message.header.id)"
                let limit = DNSTransactionTracker.maxNamesPerFlow
                emit(
                    .diagnostic(
                        TrafficError(
                            .limitExceeded, frame: frame,
                            "DNS \(flow): more than \(limit) question names pending; the oldest are forgotten (said once per flow)")))
            }
        }
        statistics.dnsMessages += 1
        if let frames {
            emit(
                .event(
                    Event(
                        timeNanoseconds: time, frame: frame, frames: frames, source: source, destination: destination, transport: transport, vantage: vantage,
                        kind: .dns(event))))
        } else {
            emit(
                .event(
                    Event(
                        timeNanoseconds: time, frame: frame, onlyFrame: frame, source: source, destination: destination, transport: transport,
                        vantage: vantage, kind: .dns(event))))
        }
    }

    private func isDuplicate(_ fingerprint: Int, time: Int64) -> Bool {
        if let seen = recent[fingerprint], time >= seen, Elapsed.nanoseconds(from: seen, to: time) <= configuration.duplicateWindowNanoseconds {
            statistics.foldedDuplicates += 1
            return true
        }
        recent[fingerprint] = time
        return false
    }

    // MARK: TCP

    private func tcp(_ ip: IPPacket, frame: Int, time: Int64, vantage: Int, _ emit: (Output) -> Void) {
        let p = ip.payload
        let s = p.startIndex
        guard p.count >= 20 else {
            statistics.malformedPackets += 1
            emit(.diagnostic(TrafficError(ip.isCut ? .truncatedPacket : .malformedPacket, frame: frame, "TCP header needs 20 octets, \(p.count) captured")))
            return
        }
        let sport = UInt16(p[s]) << 8 | UInt16(p[s + 1])
        let dport = UInt16(p[s + 2]) << 8 | UInt16(p[s + 3])
        let seq = UInt32(p[s + 4]) << 24 | UInt32(p[s + 5]) << 16 | UInt32(p[s + 6]) << 8 | UInt32(p[s + 7])
        let ack = UInt32(p[s + 8]) << 24 | UInt32(p[s + 9]) << 16 | UInt32(p[s + 10]) << 8 | UInt32(p[s + 11])
        let headerLength = Int(p[s + 12] >> 4) * 4
        let flags = p[s + 13]
        guard headerLength >= 20, headerLength <= p.count, headerLength <= ip.wireLength else {
            statistics.malformedPackets += 1
            emit(.diagnostic(TrafficError(.malformedPacket, frame: frame, "TCP data offset \(headerLength) is outside the \(p.count)-octet segment")))
            return
        }
        let fin = flags & 0x01 != 0
        let syn = flags & 0x02 != 0
        let rst = flags & 0x04 != 0
        let hasACK = flags & 0x10 != 0
        let payload = p[(s + headerLength)...]
        let source = Endpoint(address: ip.source, port: sport)
        let destination = Endpoint(address: ip.destination, port: dport)
        let fromLower = source < destination
        let key = ConnectionKey(lower: fromLower ? source : destination, upper: fromLower ? destination : source, vantage: vantage)
        var connection = connections[key]
        if connection == nil || (syn && !hasACK && connection!.isClosedEitherWay) {
            if let old = connection {
                close(old, frame: frame, time: time, emit)
                connections[key] = nil
            }
            guard syn || !payload.isEmpty else { return }
            if connections.count >= configuration.limits.maxConnections {
                evictLeastRecent(reason: "connection limit \(configuration.limits.maxConnections) reached", frame: frame, time: time, emit)
            }
            connectionSerial += 1
            let created = TCPConnection(key: key, serial: connectionSerial, time: time, frame: frame)
            if dnsPorts.contains(sport) || dnsPorts.contains(dport) {
                created.mode = .dns  // known before any data: a gap at the start is reported too
            }
            connections[key] = created
            connection = created
        }
        guard let connection else { return }
        connection.lastTime = time
        connection.lastFrame = frame
        if syn && !hasACK { connection.clientIsLower = fromLower }
        if syn && hasACK && connection.clientIsLower == nil { connection.clientIsLower = !fromLower }

        if connection.mode == .ignored {
            if rst || (fin && connection.sawFIN(fromLower: !fromLower)) {
                connections[key] = nil
            } else if fin {
                connection.markFIN(fromLower: fromLower)
            }
            return
        }
        let before = connection.bufferedOctets
        chunksA.removeAll(keepingCapacity: true)
        chunksB.removeAll(keepingCapacity: true)
        if hasACK {
            if fromLower {
                connection.upperToLower.acknowledged(ack, frame: frame, time: time, out: &chunksB)
            } else {
                connection.lowerToUpper.acknowledged(ack, frame: frame, time: time, out: &chunksB)
            }
            deliver(connection, fromLower: !fromLower, chunksB, currentFrame: frame, currentTime: time, emit)
        }
        let wireLength = ip.wireLength - headerLength
        if fromLower {
            connection.lowerToUpper.receive(
                seq: seq, syn: syn, fin: fin, payload: payload, wireLength: wireLength, frame: frame, time: time,
                bufferLimit: configuration.limits.maxStreamBufferOctets, out: &chunksA)
        } else {
            connection.upperToLower.receive(
                seq: seq, syn: syn, fin: fin, payload: payload, wireLength: wireLength, frame: frame, time: time,
                bufferLimit: configuration.limits.maxStreamBufferOctets, out: &chunksA)
        }
        deliver(connection, fromLower: fromLower, chunksA, currentFrame: frame, currentTime: time, emit)
        if rst {
            close(connection, frame: frame, time: time, emit)
            connections[key] = nil
            bufferedTCPOctets -= before
            return
        }
        if connection.lowerToUpper.isClosed && connection.upperToLower.isClosed {
            close(connection, frame: frame, time: time, emit)
            connections[key] = nil
            bufferedTCPOctets -= before
            return
        }
        bufferedTCPOctets += connection.bufferedOctets - before
        while bufferedTCPOctets > configuration.limits.maxTotalBufferOctets, !connections.isEmpty {
            evictLeastRecent(reason: "TCP buffer limit of \(configuration.limits.maxTotalBufferOctets) octets reached", frame: frame, time: time, emit)
        }
    }

    private func evictLeastRecent(reason: String, frame: Int, time: Int64, _ emit: (Output) -> Void) {
        guard let victim = connections.values.min(by: { ($0.lastTime, $0.serial) < ($1.lastTime, $1.serial) }) else { return }
        emit(.diagnostic(TrafficError(.limitExceeded, frame: frame, "TCP \(victim.key.lower) ↔ \(victim.key.upper) flushed and forgotten: \(reason)")))
        bufferedTCPOctets -= victim.bufferedOctets
        close(victim, frame: victim.lastFrame, time: victim.lastTime, emit)
        connections[victim.key] = nil
    }

    /// Flushes both directions (reporting gaps) and ends the application parser.
    private func close(_ connection: TCPConnection, frame: Int, time: Int64, _ emit: (Output) -> Void) {
        guard connection.mode != .ignored else { return }
        chunksA.removeAll(keepingCapacity: true)
        connection.lowerToUpper.flush(out: &chunksA)
        deliver(connection, fromLower: true, chunksA, currentFrame: frame, currentTime: time, emit)
        chunksA.removeAll(keepingCapacity: true)
        connection.upperToLower.flush(out: &chunksA)
        deliver(connection, fromLower: false, chunksA, currentFrame: frame, currentTime: time, emit)
        if let http = connection.http {
            http.finish(frame: frame, time: time) { self.httpOutput($0, connection: connection, emit) }
            connection.http = nil
        }
        connection.mode = .ignored
    }

    private func deliver(_ connection: TCPConnection, fromLower: Bool, _ chunks: [StreamChunk], currentFrame: Int, currentTime: Int64, _ emit: (Output) -> Void)
    {
        for chunk in chunks {
            if connection.mode == .undecided {
                guard case .data(let bytes, _, _) = chunk else { continue }
                decideMode(connection, fromLower: fromLower, firstBytes: bytes)
            }
            let source = fromLower ? connection.key.lower : connection.key.upper
            let destination = fromLower ? connection.key.upper : connection.key.lower
            if case .gap(let octets, let frame, _) = chunk, connection.mode != .ignored {
                statistics.streamGaps += 1
                emit(
                    .diagnostic(
                        TrafficError(.streamGap, frame: frame, "TCP \(source) → \(destination): \(octets) octets were not captured before this frame; skipped"))
                )
            }
            switch connection.mode {
            case .undecided, .ignored:
                return
            case .dns:
                switch chunk {
                case .end:
                    break
                case .gap:
                    if fromLower { connection.dnsFromLower.gap() } else { connection.dnsFromUpper.gap() }
                case .data(let bytes, let frame, let time):
                    if fromLower {
                        connection.dnsFromLower.append(bytes, frame: frame, deliveredIn: currentFrame, time: time)
                    } else {
                        connection.dnsFromUpper.append(bytes, frame: frame, deliveredIn: currentFrame, time: time)
                    }
                    while true {
                        let message: DNSStream.Message?
                        do {
                            message = fromLower ? try connection.dnsFromLower.next() : try connection.dnsFromUpper.next()
                        } catch {
                            statistics.malformedPackets += 1
                            emit(
                                .diagnostic(
                                    TrafficError(.malformedDNS, frame: frame, "DNS over TCP \(source) → \(destination): \(error); waiting for the next segment")
                                ))
                            break
                        }
                        guard let message else { break }
                        dns(
                            octets: Array(message.bytes.readableBytesView), source: source, destination: destination, transport: .tcp, frame: message.frame,
                            frames: message.frames, time: message.time, vantage: connection.key.vantage, emit)
                    }
                }
            case .http:
                guard let http = connection.http else { return }
                let fromClient = (http.client == source)
                http.feed(fromClient: fromClient, chunk) { self.httpOutput($0, connection: connection, emit) }
            }
        }
    }

    private func decideMode(_ connection: TCPConnection, fromLower: Bool, firstBytes: ArraySlice<UInt8>) {
        let lower = connection.key.lower
        let upper = connection.key.upper
        if configuration.dnsPorts.contains(lower.port) || configuration.dnsPorts.contains(upper.port) {
            connection.mode = .dns
            return
        }
        let sender = fromLower ? lower : upper
        let receiver = fromLower ? upper : lower
        if configuration.detectHTTPByRequestLine && HTTPConnectionParser.startsWithRequestLine(firstBytes) {
            connection.mode = .http
            connection.http = HTTPConnectionParser(client: sender, server: receiver, previewLimit: configuration.bodyPreviewLimit, host: httpHost)
            return
        }
        if configuration.httpPorts.contains(lower.port) || configuration.httpPorts.contains(upper.port) {
            let serverIsLower: Bool
            if let clientIsLower = connection.clientIsLower {
                serverIsLower = !clientIsLower
            } else if configuration.httpPorts.contains(lower.port) != configuration.httpPorts.contains(upper.port) {
                serverIsLower = configuration.httpPorts.contains(lower.port)
            } else {
                serverIsLower = HTTPConnectionParser.startsWithStatusLine(firstBytes) == fromLower
            }
            connection.mode = .http
            connection.http = HTTPConnectionParser(
                client: serverIsLower ? upper : lower, server: serverIsLower ? lower : upper, previewLimit: configuration.bodyPreviewLimit,
                host: httpHost)
            return
        }
        connection.mode = .ignored
        bufferedTCPOctets -= connection.bufferedOctets
        connection.dropBuffers()
    }

    private func httpOutput(_ output: HTTPConnectionParser.Output, connection: TCPConnection, _ emit: (Output) -> Void) {
        switch output {
        case .error(let error):
            emit(.diagnostic(error))
        case .exchange(let exchange, let frames):
            let frame = exchange.response?.frame ?? exchange.request?.frame ?? connection.lastFrame
            let time = exchange.response?.timeNanoseconds ?? exchange.request?.timeNanoseconds ?? connection.lastTime
            if configuration.foldDuplicates {
                var hasher = Hasher()
                hasher.combine(exchange.client)
                hasher.combine(exchange.server)
                hasher.combine(exchange.request?.method)
                hasher.combine(exchange.request?.uri)
                hasher.combine(exchange.request?.bodyLength)
                hasher.combine(exchange.response?.status)
                hasher.combine(exchange.response?.bodyLength)
                hasher.combine(exchange.response?.bodyPreview)
                if isDuplicate(hasher.finalize(), time: time) { return }
            }
            statistics.httpExchanges += 1
            emit(
                .event(
                    Event(
                        timeNanoseconds: time, frame: frame, frames: frames.isEmpty ? [frame] : frames, source: exchange.client, destination: exchange.server,
                        transport: .tcp, vantage: connection.key.vantage, kind: .http(exchange))))
        }
    }

    // MARK: housekeeping

    private func maintain(now: Int64, _ emit: (Output) -> Void) {
        scratchDiagnostics.removeAll(keepingCapacity: true)
        fragments.expire(now: now, diagnostics: &scratchDiagnostics)
        for d in scratchDiagnostics { emit(.diagnostic(d)) }
        tracker.expire(now: now)
        if !recent.isEmpty {
            let window = configuration.duplicateWindowNanoseconds
            recent = recent.filter { Elapsed.nanoseconds(from: $0.value, to: now) <= window }
        }
        let timeout = configuration.limits.connectionIdleTimeoutNanoseconds
        let idle = connections.values.filter { Elapsed.nanoseconds(from: $0.lastTime, to: now) > timeout }.sorted { $0.serial < $1.serial }
        for connection in idle {
            bufferedTCPOctets -= connection.bufferedOctets
            close(connection, frame: connection.lastFrame, time: connection.lastTime, emit)
            connections[connection.key] = nil
        }
    }
}

/// A set of ports as 65,536 bits: membership without hashing.
struct PortSet {
    private var words = [UInt64](repeating: 0, count: 1024)

    init(_ ports: Set<UInt16>) {
        for port in ports { words[Int(port >> 6)] |= 1 << UInt64(port & 63) }
    }

    @inline(__always)
    func contains(_ port: UInt16) -> Bool {
        words.withUnsafeBufferPointer { $0[Int(port >> 6)] & 1 << UInt64(port & 63) != 0 }
    }
}

struct ConnectionKey: Hashable {
    var lower: Endpoint
    var upper: Endpoint
    var vantage: Int

    /// Every field whole (see ``EndpointHashing``), three words for IPv4.
    func hash(into hasher: inout Hasher) {
        EndpointHashing.combine(
            lower.address, upper.address, and: UInt64(lower.port) | UInt64(upper.port) << 16, UInt64(bitPattern: Int64(vantage)), into: &hasher)
    }
}

/// The state of one TCP connection: both directions' reassembly and what reads them.
final class TCPConnection {
    enum Mode { case undecided, dns, http, ignored }

    let key: ConnectionKey
    let serial: Int
    @exclusivity(unchecked) var lastTime: Int64
    @exclusivity(unchecked) var lastFrame: Int
    @exclusivity(unchecked) var clientIsLower: Bool?
    @exclusivity(unchecked) var mode: Mode = .undecided
    @exclusivity(unchecked) var lowerToUpper = TCPStreamReassembler()
    @exclusivity(unchecked) var upperToLower = TCPStreamReassembler()
    @exclusivity(unchecked) var dnsFromLower = DNSStream()
    @exclusivity(unchecked) var dnsFromUpper = DNSStream()
    @exclusivity(unchecked) var http: HTTPConnectionParser?
    @exclusivity(unchecked) private var finFromLower = false
    @exclusivity(unchecked) private var finFromUpper = false

    init(key: ConnectionKey, serial: Int, time: Int64, frame: Int) {
        self.key = key
        self.serial = serial
        self.lastTime = time
        self.lastFrame = frame
    }

    var bufferedOctets: Int { lowerToUpper.pendingOctets + upperToLower.pendingOctets }
    var isClosedEitherWay: Bool { lowerToUpper.isClosed || upperToLower.isClosed || mode == .ignored && (finFromLower || finFromUpper) }

    func dropBuffers() {
        lowerToUpper = TCPStreamReassembler()
        upperToLower = TCPStreamReassembler()
    }

    func markFIN(fromLower: Bool) {
        if fromLower { finFromLower = true } else { finFromUpper = true }
    }

    func sawFIN(fromLower: Bool) -> Bool { fromLower ? finFromLower : finFromUpper }
}

extension TrafficDecoder {
    /// True for the link types kubetape decodes: Ethernet (with VLAN tags), Linux cooked v1 and
    /// v2, raw IP (12, 14, 101, 228, 229), BSD loopback NULL and LOOP.
    public static func supports(_ linkType: LinkType) -> Bool { LinkLayer.isSupported(linkType) }
}
