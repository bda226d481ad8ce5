import ArgumentParser
import PacketCapture
import Traffic

#if canImport(Glibc)
    import Glibc
#endif

/// `kubetape inspect`: the DNS and HTTP timeline of a capture file, one line per event.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the DNS messages and HTTP exchanges in a pcap or pcapng file, one line per event.",
        discussion: """
            Every DNS message (query or response, UDP or TCP) is one event; a response names the frame \
            of its query and the latency. Every HTTP/1.x request/response exchange is one event. \
            Events come in capture order. Malformed packets are reported on standard error with their \
            frame number. FILE - reads standard input, showing events as packets arrive. Exit status: \
            0 when the file was read to its end; 2 when it cannot be opened, has an unsupported link \
            type, or ends in the middle of a record (after printing every event before the cut). \
            --json writes JSON Lines as described in docs/events.md.
            """
    )

    @Argument(help: "A pcap or pcapng capture file, or - for standard input (tcpdump -U -w - | kubetape inspect -).")
    var file: String

    @Flag(help: "Write JSON Lines (docs/events.md) instead of text.")
    var json = false

    @Flag(name: .customLong("dns-only"), help: "Only DNS events.")
    var dnsOnly = false

    @Flag(name: .customLong("http-only"), help: "Only HTTP events.")
    var httpOnly = false

    @Option(name: .customLong("dns-port"), help: "Also treat this UDP/TCP port as DNS (53 always is). Repeatable.")
    var dnsPorts: [UInt16] = []

    @Flag(name: .customLong("fold-duplicates"), help: "Show a packet recorded twice within 50 ms (e.g. on both veth ends by -i any) once.")
    var foldDuplicates = false

    func validate() throws {
        if dnsOnly && httpOnly { throw ValidationError("--dns-only and --http-only exclude each other") }
        if dnsPorts.contains(0) { throw ValidationError("--dns-port must be between 1 and 65535") }
    }

    func run() throws {
        let reader: CaptureFileReader
        do {
            reader = try CaptureFileReader(path: file)
        } catch {
            let text = "\(error)"
            throw BadInput(text.hasPrefix(file) ? text : "\(file): \(text)")
        }
        defer { reader.close() }
        if let linkType = reader.fileLinkType, !TrafficDecoder.supports(linkType) {
            throw BadInput("\(file): link type \(linkType) (\(linkType.rawValue)) is not supported")
        }
        var configuration = TrafficDecoder.Configuration()
        configuration.dnsPorts.formUnion(dnsPorts)
        configuration.foldDuplicates = foldDuplicates
        if dnsOnly {
            configuration.httpPorts = []
            configuration.detectHTTPByRequestLine = false
        }
        if httpOnly { configuration.dnsPorts = [] }
        let decoder = TrafficDecoder(configuration: configuration)
        var unsupportedLinkType: String?
        let file = self.file
        // Lines are written into one buffer and go out with write(2) every 64 KiB, so that a
        // million lines cost few system calls; a diagnostic first sends out the lines before it.
        let lines = EventLinesWriter(format: json ? .json : .text)
        let sendLines = {
            lines.withUnsafeBytes { Descriptor.write(1, $0) }
            lines.removeAll()
        }
        let handle: (TrafficDecoder.Output) -> Void = { result in
            switch result {
            case .event(let event):
                lines.write(event)
                if lines.byteCount >= 1 << 16 { sendLines() }
            case .diagnostic(let diagnostic):
                if diagnostic.code == .unsupportedLinkType, unsupportedLinkType == nil {
                    unsupportedLinkType = diagnostic.description
                }
                sendLines()
                FileHandleOutput.standardError("\(file): \(diagnostic)")
            }
        }
        // A capture arriving on a pipe is shown as it arrives: the lines go out whenever the
        // reader is about to wait for more of it.
        reader.whenWaiting = { if lines.byteCount > 0 { sendLines() } }
        defer { reader.whenWaiting = nil }
        var readError: Error?
        var packet = CapturedPacket.empty
        while true {
            do {
                guard try reader.next(into: &packet) else { break }
            } catch {
                readError = error
                break
            }
            decoder.process(packet, handle)
        }
        decoder.finish(handle)
        sendLines()
        if let readError {
            let text = "\(readError)"
            throw BadInput(text.hasPrefix(file) ? text : "\(file): \(text)")
        }
        if let unsupportedLinkType {
            throw BadInput("\(file): \(unsupportedLinkType)")
        }
    }
}
