import ArgumentParser
import DNSWire
import Foundation

/// `kubetape decode`: print a DNS message (hex or a binary file) the way dig prints it.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode one DNS message and print it as dig would.",
        discussion: "Reads hex text (whitespace ignored) or, with --binary, raw wire-format octets. Use '-' for standard input."
    )

    @Argument(help: "Hex string, or a file path with --file/--binary; '-' reads standard input.")
    var input: String

    @Flag(help: "Treat INPUT as a path to a file containing hex text.")
    var file = false

    @Flag(help: "Treat INPUT as a path to a file of raw wire-format octets.")
    var binary = false

    @Flag(help: "Ignore octets after the message instead of rejecting them.")
    var lenient = false

    func validate() throws {
        if file && binary { throw ValidationError("--file and --binary exclude each other") }
    }

    func run() throws {
        let bytes: [UInt8]
        let source: String
        if binary || file || input == "-" {
            let data: Data
            if input == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
                source = "<stdin>"
            } else {
                guard let read = FileManager.default.contents(atPath: input) else {
                    throw BadInput("\(input): cannot read file")
                }
                data = read
                source = input
            }
            if binary {
                bytes = Array(data)
            } else {
                bytes = try Decode.hex(String(decoding: data, as: UTF8.self), source: source)
            }
        } else {
            source = "argument"
            bytes = try Decode.hex(input, source: source)
        }
        do {
            let message = try DNSMessage(wireFormat: bytes, options: lenient ? .lenient : .strict)
            print(message.description, terminator: "")
            print(";; MSG SIZE  rcvd: \(bytes.count)")
        } catch let error as DNSWireError {
            throw BadInput("\(source): \(error)")
        }
    }

    static func hex(_ text: String, source: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for (index, c) in text.utf8.enumerated() {
            let value: UInt8
            switch c {
            case 48...57: value = c - 48
            case 65...70: value = c - 55
            case 97...102: value = c - 87
            case 32, 9, 10, 13, UInt8(ascii: ":"): continue
            default: throw BadInput("\(source): character \(index + 1) is not a hex digit")
            }
            if let h = high {
                out.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        if high != nil { throw BadInput("\(source): odd number of hex digits") }
        return out
    }
}
