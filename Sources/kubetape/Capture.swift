import ArgumentParser
import PacketCapture
import Traffic

#if canImport(Glibc)
    import Glibc
#endif

/// `kubetape capture`: record DNS and HTTP traffic from a live interface into a pcap file.
struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture DNS and HTTP packets from a live interface into a pcap file.",
        discussion: """
            The default filter is `port 53 or tcp port 80`, plus `or port N` for every --dns-port. \
            On `-i any` packets are recorded as LINUX_SLL2 (as tcpdump does) unless --link-type sll. \
            The file is classic pcap with nanosecond timestamps; packets are read from an 8 MiB kernel buffer in blocks at most 100 ms old (--immediate delivers each at once but drops more under load). A live count of packets (and of the \
            DNS messages and HTTP exchanges in them) goes to standard error; at the end the kernel's \
            received/dropped figures are printed. SIGINT or SIGTERM stops the capture cleanly: the \
            file is flushed and closed. Needs CAP_NET_RAW and CAP_NET_ADMIN (root). \
            Exit status: 0 on success; 2 for bad input (unknown interface, bad filter, unwritable \
            file, missing permission).
            """
    )

    /// The link-layer header to request on `-i any`.
    enum CookedLinkType: String, ExpressibleByArgument, CaseIterable {
        case sll, sll2

        var linkType: LinkType { self == .sll ? .linuxSLL : .linuxSLL2 }
    }

    @Option(name: [.customShort("i"), .customLong("interface")], help: "Interface to capture on (e.g. eth0, lo, any).")
    var interface: String

    @Option(name: [.customShort("w"), .customLong("write")], help: "pcap file to write ('-' for standard output).")
    var file: String

    @Option(name: [.customShort("f"), .customLong("filter")], help: "BPF filter (pcap-filter syntax) instead of the default.")
    var filter: String?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many packets.")
    var count: Int?

    @Option(help: "Octets kept per packet (1–262144).")
    var snaplen: Int = 262_144

    @Option(name: .customLong("dns-port"), help: "Also capture and decode DNS on this port. Repeatable.")
    var dnsPorts: [UInt16] = []

    @Option(name: .customLong("link-type"), help: "Link-layer header on -i any: sll or sll2 (default sll2).")
    var linkType: CookedLinkType?

    @Flag(name: .customLong("no-promiscuous"), help: "Do not put the interface into promiscuous mode.")
    var noPromiscuous = false

    @Flag(help: "Deliver each packet at once instead of in blocks every 100 ms (drops more under load on Linux).")
    var immediate = false

    func validate() throws {
        if interface.isEmpty { throw ValidationError("-i needs an interface name") }
        if file.isEmpty { throw ValidationError("-w needs a file name") }
        if let duration, !(duration > 0 && duration <= 1e9) { throw ValidationError("--duration must be a positive number of seconds (at most 1e9)") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if !(1...262_144).contains(snaplen) { throw ValidationError("--snaplen must be between 1 and 262144") }
        if dnsPorts.contains(0) { throw ValidationError("--dns-port must be between 1 and 65535") }
        if let filter, filter.allSatisfy({ $0 == " " || $0 == "\t" }) { throw ValidationError("--filter must not be empty") }
    }

    /// `port 53 or tcp port 80`, plus `or port N` for each extra DNS port.
    static func defaultFilter(dnsPorts: [UInt16]) -> String {
        var seen: Set<UInt16> = [53]
        var filter = "port 53 or tcp port 80"
        for port in dnsPorts where seen.insert(port).inserted {
            filter += " or port \(port)"
        }
        return filter
    }

    func run() throws {
        let filter = self.filter ?? Capture.defaultFilter(dnsPorts: dnsPorts)
        var configuration = LiveCaptureConfiguration(interface: interface, filter: filter)
        configuration.snapLength = snaplen
        configuration.promiscuous = !noPromiscuous
        configuration.immediateMode = immediate
        configuration.bufferSize = 8 << 20  // 8 MiB kernel buffer: bursts of DNS/HTTP fit
        configuration.linkType = linkType?.linkType
        let capture: LiveCapture
        do {
            capture = try LiveCapture(configuration: configuration)
        } catch let error as PacketCaptureError {
            throw BadInput("capture: \(error)")
        }
        defer { capture.close() }
        let writer: PcapWriter
        do {
            writer = try PcapWriter(path: file, linkType: capture.linkType, snapLength: snaplen)
        } catch let error as PacketCaptureError {
            throw BadInput("capture: \(error)")
        }
        defer { try? writer.close() }
        // A parent may have started us with SIGINT/SIGTERM blocked (Foundation's Process does,
        // from a thread that blocks them); unblock them so a stop request is delivered.
        var termination = sigset_t()
        sigemptyset(&termination)
        sigaddset(&termination, SIGINT)
        sigaddset(&termination, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &termination, nil)
        TerminationSignals.onSignal { _ in capture.requestStop() }

        let decoder: TrafficDecoder?
        if TrafficDecoder.supports(capture.linkType) {
            var decoding = TrafficDecoder.Configuration()
            decoding.dnsPorts.formUnion(dnsPorts)
            decoder = TrafficDecoder(configuration: decoding)
        } else {
            decoder = nil
        }
        var progress = CaptureProgress(terminal: isatty(2) == 1)
        for warning in capture.warnings {
            FileHandleOutput.standardError("capture: warning: \(warning)")
        }
        FileHandleOutput.standardError(
            "capture: listening on \(interface), link-type \(capture.linkType), snaplen \(snaplen), filter \"\(filter)\"; writing \(file)"
                + (decoder == nil ? " (no DNS/HTTP counts for this link type)" : ""))
        let count: (TrafficDecoder.Output) -> Void = { output in
            guard case .event(let event) = output else { return }
            if event.dns != nil { progress.dnsMessages += 1 }
            if event.http != nil { progress.httpExchanges += 1 }
        }
        var failure: Error?
        var statistics: LiveCaptureStatistics?
        do {
            statistics = try capture.run(
                duration: duration.map { .nanoseconds(Int64($0 * 1e9)) }, count: self.count,
                onIdle: {
                    try writer.flush()
                    progress.tick(force: false)
                },
                handler: { packet in
                    try writer.write(packet)
                    progress.packets += 1
                    decoder?.process(packet, count)
                    if progress.tick(force: false) { try writer.flush() }
                })
        } catch {
            failure = error
        }
        decoder?.finish(count)
        do {
            try writer.close()
        } catch {
            failure = failure ?? error
        }
        progress.finish()
        if statistics == nil { statistics = try? capture.statistics() }
        var summary = "capture: \(progress.packets) packets written to \(file)"
        if decoder != nil { summary += "; \(progress.dnsMessages) DNS messages, \(progress.httpExchanges) HTTP exchanges" }
        if let statistics {
            summary += "; \(statistics.received) received by filter, \(statistics.dropped) dropped by kernel"
            if statistics.droppedByInterface > 0 { summary += ", \(statistics.droppedByInterface) dropped by interface" }
        }
        FileHandleOutput.standardError(summary)
        if let failure {
            throw BadInput("capture: \(failure)")
        }
    }
}

/// The live packet count on standard error: one line updated in place with `\r` on a terminal,
/// a line every two seconds (when something changed) otherwise.
struct CaptureProgress {
    let terminal: Bool
    var packets = 0
    var dnsMessages = 0
    var httpExchanges = 0
    private var lastShown: ContinuousClock.Instant
    private var lastText = ""
    private let interval: Duration

    init(terminal: Bool) {
        self.terminal = terminal
        self.interval = terminal ? .milliseconds(200) : .seconds(2)
        self.lastShown = ContinuousClock.now
    }

    var text: String {
        "\(packets) packets, \(dnsMessages) DNS, \(httpExchanges) HTTP"
    }

    /// Shows the count if the interval has passed; returns whether it did.
    @discardableResult
    mutating func tick(force: Bool) -> Bool {
        let now = ContinuousClock.now
        guard force || now - lastShown >= interval else { return false }
        lastShown = now
        let current = text
        if terminal {
            writeStandardError("\r\(current)\u{1B}[K")
        } else if current != lastText {
            writeStandardError("capture: \(current)\n")
        }
        lastText = current
        return true
    }

    /// Ends the in-place line on a terminal.
    mutating func finish() {
        if terminal {
            tick(force: true)
            writeStandardError("\n")
        }
    }

    private func writeStandardError(_ text: String) {
        Descriptor.write(2, text)
    }
}
