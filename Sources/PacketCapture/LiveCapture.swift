import CPcap
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How to open a live capture. Defaults suit kubetape: full packets, promiscuous, buffered
/// (not immediate) delivery and a 100 ms read timeout, so packets arrive at most about 100 ms
/// late and stop requests are noticed promptly.
public struct LiveCaptureConfiguration: Hashable, Sendable {
    /// Interface name, e.g. `eth0`, `lo` or `any`.
    public var interface: String
    /// A BPF filter in pcap-filter(7) syntax, compiled by libpcap; `nil` captures everything.
    public var filter: String?
    /// Octets kept per packet.
    public var snapLength: Int = 262_144
    /// Put the interface into promiscuous mode (`--no-promiscuous` turns it off).
    public var promiscuous: Bool = true
    /// Deliver each packet as it arrives instead of in kernel blocks retired every read timeout.
    ///
    /// Off by default: on Linux immediate mode makes libpcap use TPACKET_V2, whose ring holds
    /// few frames at large snap lengths; measured on `lo` with 200,000 datagrams sent as fast as
    /// possible, immediate mode dropped 45–65% of them with a 2 MiB buffer, buffered mode none.
    public var immediateMode: Bool = false
    /// How long one read waits before returning control (and checking for a stop request).
    public var readTimeoutMilliseconds: Int = 100
    /// Kernel buffer size in octets; `nil` keeps libpcap's default.
    public var bufferSize: Int?
    /// Link type to select after activation. `nil` selects ``LinkType/linuxSLL2`` on `any`
    /// (as tcpdump does) and keeps the device's default elsewhere.
    public var linkType: LinkType?

    /// A configuration for `interface` with an optional BPF `filter` and default settings.
    public init(interface: String, filter: String? = nil) {
        self.interface = interface
        self.filter = filter
    }
}

/// Counters libpcap keeps for a live capture (`pcap_stats`).
public struct LiveCaptureStatistics: Hashable, Sendable {
    /// Packets the kernel handed to the capture (after filtering).
    public var received: Int
    /// Packets dropped because the capture buffer was full.
    public var dropped: Int
    /// Packets the interface or driver dropped, when known.
    public var droppedByInterface: Int
    /// Packets delivered to the caller.
    public var delivered: Int

    /// Creates a statistics value (normally obtained from ``LiveCapture/statistics()``).
    public init(received: Int, dropped: Int, droppedByInterface: Int, delivered: Int) {
        self.received = received
        self.dropped = dropped
        self.droppedByInterface = droppedByInterface
        self.delivered = delivered
    }
}

/// A live libpcap capture on one interface with no C types in its API.
///
/// ```swift
/// var configuration = LiveCaptureConfiguration(interface: "lo", filter: "udp port 53")
/// let capture = try LiveCapture(configuration: configuration)
/// let stats = try capture.run(duration: .seconds(5)) { packet in try writer.write(packet) }
/// ```
///
/// ``requestStop()`` may be called from any thread (e.g. a signal watcher); the loop notices it
/// within one read timeout. ``next()`` and ``run(duration:count:onIdle:handler:)`` must be called
/// from one thread at a time. The handle is non-blocking and waits with poll(2), because
/// libpcap 1.10 on Linux does not return from `pcap_next_ex` when the read timeout passes
/// without packets.
public final class LiveCapture: @unchecked Sendable {
    /// The configuration the capture was opened with.
    public let configuration: LiveCaptureConfiguration
    /// The link type packets arrive with (after any ``LiveCaptureConfiguration/linkType`` choice).
    public let linkType: LinkType
    /// Warnings from activation (e.g. promiscuous mode not supported), in libpcap's words.
    public let warnings: [String]

    /// Whether the handle is still open; guards `pcap_breakloop` against `pcap_close`.
    private let isOpen = Mutex<Bool>(true)
    private let pcap: OpaquePointer
    private let selectableDescriptor: Int32
    private let nanosecondTimestamps: Bool
    private let stopFlag = Atomic<Bool>(false)
    private var delivered = 0

    /// Opens and activates the capture, selects the link type and installs the filter.
    ///
    /// - Throws: ``PacketCaptureError`` with code `noSuchInterface` (the reason lists the
    ///   interfaces that exist), `permissionDenied`, `badFilter` (libpcap's message and the
    ///   filter), `unsupportedLinkType`, `invalidArgument` or `captureFailed`.
    public init(configuration: LiveCaptureConfiguration) throws {
        self.configuration = configuration
        let name = configuration.interface
        func failure(_ code: PacketCaptureError.Code, _ reason: String) -> PacketCaptureError {
            PacketCaptureError(code, reason, interface: name)
        }
        guard configuration.snapLength > 0, configuration.snapLength <= 262_144 else {
            throw failure(.invalidArgument, "snap length \(configuration.snapLength) must be between 1 and 262144")
        }
        guard configuration.readTimeoutMilliseconds > 0 else {
            throw failure(.invalidArgument, "the read timeout must be positive so that stop requests are noticed")
        }
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let p = pcap_create(name, &errbuf) else {
            throw failure(.captureFailed, "libpcap: \(text(fromCBuffer: errbuf))")
        }
        var ok = false
        defer { if !ok { pcap_close(p) } }
        pcap_set_snaplen(p, Int32(configuration.snapLength))
        pcap_set_promisc(p, configuration.promiscuous ? 1 : 0)
        pcap_set_timeout(p, Int32(configuration.readTimeoutMilliseconds))
        pcap_set_immediate_mode(p, configuration.immediateMode ? 1 : 0)
        if let size = configuration.bufferSize { pcap_set_buffer_size(p, Int32(clamping: size)) }
        _ = pcap_set_tstamp_precision(p, Int32(PCAP_TSTAMP_PRECISION_NANO))

        let status = pcap_activate(p)
        var warnings: [String] = []
        if status < 0 {
            let detail = text(fromCString: pcap_geterr(p))
            switch status {
            case PCAP_ERROR_NO_SUCH_DEVICE:
                let available = (try? LiveCapture.availableInterfaces()) ?? []
                let list = available.isEmpty ? "none found" : available.joined(separator: ", ")
                throw failure(.noSuchInterface, "no such interface \"\(name)\"; available interfaces: \(list)")
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw failure(
                    .permissionDenied,
                    "permission denied: capturing needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities (run as root, or grant them with `setcap cap_net_raw,cap_net_admin+eip` on the binary)"
                        + (detail.isEmpty ? "" : " (libpcap: \(detail))"))
            case PCAP_ERROR_IFACE_NOT_UP:
                throw failure(.captureFailed, "the interface is not up")
            default:
                let summary = text(fromCString: pcap_statustostr(status))
                throw failure(.captureFailed, "cannot start capture: \(detail.isEmpty ? summary : detail)")
            }
        } else if status > 0 {
            let detail = text(fromCString: pcap_geterr(p))
            warnings.append(detail.isEmpty ? text(fromCString: pcap_statustostr(status)) : detail)
        }

        // Link type: explicit choice, or LINUX_SLL2 on "any" as tcpdump does.
        if let wanted = configuration.linkType {
            let dlt = wanted == .raw ? Int32(DLT_RAW) : Int32(bitPattern: wanted.rawValue)
            if pcap_set_datalink(p, dlt) != 0 {
                let offered = LiveCapture.datalinks(p).map(\.description).joined(separator: ", ")
                throw failure(.unsupportedLinkType, "link type \(wanted) is not offered by this interface (offered: \(offered))")
            }
        } else if name == "any" {
            _ = pcap_set_datalink(p, Int32(DLT_LINUX_SLL2))
        }

        if let filter = configuration.filter {
            var network: bpf_u_int32 = 0
            var mask: bpf_u_int32 = 0
            if pcap_lookupnet(name, &network, &mask, &errbuf) != 0 { mask = PCAP_NETMASK_UNKNOWN }
            var program = bpf_program()
            if pcap_compile(p, &program, filter, 1, mask) != 0 {
                throw failure(.badFilter, "bad capture filter \"\(filter)\": \(text(fromCString: pcap_geterr(p)))")
            }
            defer { pcap_freecode(&program) }
            if pcap_setfilter(p, &program) != 0 {
                throw failure(.badFilter, "cannot install capture filter \"\(filter)\": \(text(fromCString: pcap_geterr(p)))")
            }
        }

        // libpcap 1.10 on Linux does not return from pcap_next_ex when its read timeout passes
        // without packets, so the capture is non-blocking and next() waits with poll(2) itself.
        let selectable = pcap_get_selectable_fd(p)
        if selectable < 0 || pcap_setnonblock(p, 1, &errbuf) != 0 {
            throw failure(.captureFailed, "cannot make the capture non-blocking: \(text(fromCBuffer: errbuf))")
        }
        self.selectableDescriptor = selectable
        self.pcap = p
        self.linkType = LinkType(dlt: pcap_datalink(p))
        self.nanosecondTimestamps = pcap_get_tstamp_precision(p) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        self.warnings = warnings
        ok = true
    }

    deinit { close() }

    /// Names of the interfaces libpcap can capture on (`pcap_findalldevs`).
    public static func availableInterfaces() throws -> [String] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errbuf) == 0 else {
            throw PacketCaptureError(.captureFailed, "cannot list interfaces: \(text(fromCBuffer: errbuf))")
        }
        defer { if let list { pcap_freealldevs(list) } }
        var names: [String] = []
        var current = list
        while let device = current {
            names.append(text(fromCString: device.pointee.name))
            current = device.pointee.next
        }
        return names
    }

    private static func datalinks(_ p: OpaquePointer) -> [LinkType] {
        var values: UnsafeMutablePointer<Int32>?
        let count = pcap_list_datalinks(p, &values)
        guard count > 0, let values else { return [] }
        defer { pcap_free_datalinks(values) }
        return (0..<Int(count)).map { LinkType(dlt: values[$0]) }
    }

    /// Asks a running ``run(duration:count:onIdle:handler:)`` or ``next()`` to return; safe
    /// from any thread.
    public func requestStop() {
        stopFlag.store(true, ordering: .sequentiallyConsistent)
        isOpen.withLock { open in
            if open { pcap_breakloop(pcap) }
        }
    }

    /// Whether ``requestStop()`` has been called.
    public var isStopRequested: Bool { stopFlag.load(ordering: .sequentiallyConsistent) }

    /// Waits up to one read timeout for a packet; `nil` when none came or a stop was requested.
    public func next() throws -> CapturedPacket? {
        if isStopRequested { return nil }
        guard isOpen.withLock({ $0 }) else { return nil }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var bytes: UnsafePointer<UInt8>?
        var status = pcap_next_ex(pcap, &header, &bytes)
        if status == 0 {
            var descriptor = pollfd(fd: selectableDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, Int32(configuration.readTimeoutMilliseconds)) > 0, !isStopRequested {
                status = pcap_next_ex(pcap, &header, &bytes)
            }
        }
        switch status {
        case 1:
            guard let header else { return nil }
            let captured = Int(header.pointee.caplen)
            let data = bytes.map { Array(UnsafeBufferPointer(start: $0, count: captured)) } ?? []
            let seconds = Int64(header.pointee.ts.tv_sec)
            let fraction = Int64(header.pointee.ts.tv_usec) * (nanosecondTimestamps ? 1 : 1000)
            delivered += 1
            return CapturedPacket(
                frameNumber: delivered, timestampNanoseconds: seconds &* 1_000_000_000 &+ fraction,
                linkType: linkType, data: data, originalLength: Int(header.pointee.len))
        case 0, PCAP_ERROR_BREAK:
            return nil
        default:
            if isStopRequested { return nil }
            throw PacketCaptureError(
                .captureFailed, "capture failed: \(text(fromCString: pcap_geterr(pcap)))", interface: configuration.interface, frameNumber: delivered + 1)
        }
    }

    /// Captures until `duration` has passed, `count` packets were delivered, or
    /// ``requestStop()`` is called, handing each packet to `handler`; `onIdle` runs whenever a
    /// read timeout passes without a packet. Returns the final ``statistics()``.
    public func run(duration: Duration? = nil, count: Int? = nil, onIdle: () throws -> Void = {}, handler: (CapturedPacket) throws -> Void) throws
        -> LiveCaptureStatistics
    {
        let clock = ContinuousClock()
        let deadline = duration.map { clock.now + $0 }
        let startCount = delivered
        while !isStopRequested {
            if let count, delivered - startCount >= count { break }
            if let deadline, clock.now >= deadline { break }
            if let packet = try next() {
                try handler(packet)
            } else {
                try onIdle()
            }
        }
        return try statistics()
    }

    /// libpcap's counters so far.
    public func statistics() throws -> LiveCaptureStatistics {
        var stats = pcap_stat()
        let ok: Bool = isOpen.withLock { open in
            open && pcap_stats(pcap, &stats) == 0
        }
        guard ok else {
            throw PacketCaptureError(.captureFailed, "cannot read capture statistics", interface: configuration.interface)
        }
        return LiveCaptureStatistics(received: Int(stats.ps_recv), dropped: Int(stats.ps_drop), droppedByInterface: Int(stats.ps_ifdrop), delivered: delivered)
    }

    /// Closes the capture. Safe to call more than once.
    public func close() {
        isOpen.withLock { open in
            if open {
                pcap_close(pcap)
                open = false
            }
        }
    }
}

func text(fromCString pointer: UnsafePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    return String(cString: pointer)
}
