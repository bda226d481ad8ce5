/// Reads records from zone-file (master-file, RFC 1035 5) text: the form tests and scenarios use
/// to state expected records.
///
/// Supports `$ORIGIN` and `$TTL`, `@`, relative names, omitted owner (previous owner), TTL and
/// class in either order, parentheses across lines, `;` comments, quoted TXT strings with escapes,
/// and RFC 3597 `TYPEnnn` / `\# len hex` for any type. Errors carry the 1-based line as `offset`.
public struct ZoneFileParser: Sendable {
    public var origin: DNSName
    public var defaultTTL: UInt32

    public init(origin: DNSName = .root, defaultTTL: UInt32 = 3600) {
        self.origin = origin
        self.defaultTTL = defaultTTL
    }

    /// Parses every record of `text`.
    public func parse(_ text: String) throws -> [ResourceRecord] {
        var state = self
        var records: [ResourceRecord] = []
        var previousOwner: DNSName?
        for (line, tokens, startsWithBlank) in try ZoneFileParser.logicalLines(text) {
            guard let first = tokens.first else { continue }
            do {
                if !first.quoted && first.text.hasPrefix("$") {
                    switch first.text.uppercased() {
                    case "$ORIGIN":
                        guard tokens.count == 2 else { throw fail(line, "$ORIGIN takes one name") }
                        state.origin = try DNSName(tokens[1].text, origin: state.origin)
                    case "$TTL":
                        guard tokens.count == 2, let ttl = UInt32(tokens[1].text) else { throw fail(line, "$TTL takes one number") }
                        state.defaultTTL = ttl
                    default:
                        throw fail(line, "unknown directive \(first.text)")
                    }
                    continue
                }
                var rest = tokens[...]
                let owner: DNSName
                if startsWithBlank {
                    guard let previousOwner else { throw fail(line, "record without owner name and no previous owner") }
                    owner = previousOwner
                } else {
                    owner = try DNSName(rest.removeFirst().text, origin: state.origin)
                }
                previousOwner = owner
                var ttl: UInt32?
                var rrClass: DNSClass?
                var type: DNSType?
                while let token = rest.first, type == nil {
                    rest.removeFirst()
                    if ttl == nil, let value = UInt32(token.text) {
                        ttl = value
                    } else if rrClass == nil, let value = DNSClass(mnemonic: token.text) {
                        rrClass = value
                    } else if let value = DNSType(mnemonic: token.text) {
                        type = value
                    } else {
                        throw fail(line, "expected TTL, class or type, found '\(token.text)'")
                    }
                }
                guard let type else { throw fail(line, "record for \(owner) has no type") }
                let data = try ZoneFileParser.rdata(type: type, tokens: Array(rest), origin: state.origin, line: line)
                records.append(ResourceRecord(name: owner, rrClass: rrClass ?? .in, ttl: ttl ?? state.defaultTTL, data: data))
            } catch var error as DNSWireError {
                if error.offset == nil { error.offset = line }
                if error.code != .badPresentation { error.reason = "line \(line): " + error.reason }
                throw error
            }
        }
        return records
    }

    /// Parses one record line, e.g. `quote.kiada.svc.cluster.local. 30 IN A 10.96.161.97`.
    public static func record(_ text: String, origin: DNSName = .root, defaultTTL: UInt32 = 3600) throws -> ResourceRecord {
        let records = try ZoneFileParser(origin: origin, defaultTTL: defaultTTL).parse(text)
        guard records.count == 1 else {
            throw DNSWireError(.badPresentation, at: 1, "expected exactly one record, found \(records.count)")
        }
        return records[0]
    }

    struct Token {
        var text: String
        var quoted: Bool
    }

    /// The error's reason without its leading `line N: `, for callers that give the line themselves.
    public static func reasonWithoutLine(_ error: DNSWireError) -> String {
        guard let line = error.offset, error.reason.hasPrefix("line \(line): ") else { return error.reason }
        return String(error.reason.dropFirst("line \(line): ".count))
    }

    func fail(_ line: Int, _ reason: String) -> DNSWireError {
        DNSWireError(.badPresentation, at: line, "line \(line): \(reason)")
    }

    /// Splits text into logical lines (parentheses joined) of tokens, with the first physical line number.
    static func logicalLines(_ text: String) throws -> [(Int, [Token], Bool)] {
        var result: [(Int, [Token], Bool)] = []
        var tokens: [Token] = []
        var depth = 0
        var startLine = 1
        var startsWithBlank = false
        var lineNumber = 1
        var current = ""
        var inToken = false
        var inQuote = false
        var atLineStart = true
        var chars = Array(text.unicodeScalars)
        chars.append("\n")
        var i = 0
        func endToken(quoted: Bool = false) {
            if inToken || quoted {
                tokens.append(Token(text: current, quoted: quoted))
            }
            current = ""
            inToken = false
        }
        while i < chars.count {
            let c = chars[i]
            if inQuote {
                if c == "\\" && i + 1 < chars.count {
                    current.unicodeScalars.append(c)
                    current.unicodeScalars.append(chars[i + 1])
                    i += 2
                    continue
                }
                if c == "\"" {
                    inQuote = false
                    endToken(quoted: true)
                } else if c == "\n" {
                    throw DNSWireError(.badPresentation, at: lineNumber, "line \(lineNumber): unterminated quoted string")
                } else {
                    current.unicodeScalars.append(c)
                }
                i += 1
                continue
            }
            if atLineStart && depth == 0 && tokens.isEmpty && !inToken {
                startLine = lineNumber
                startsWithBlank = c == " " || c == "\t"
            }
            atLineStart = false
            switch c {
            case "\n":
                endToken()
                lineNumber += 1
                atLineStart = true
                if depth == 0 {
                    if !tokens.isEmpty { result.append((startLine, tokens, startsWithBlank)) }
                    tokens = []
                }
            case " ", "\t", "\r":
                endToken()
            case ";":
                endToken()
                while i + 1 < chars.count && chars[i + 1] != "\n" { i += 1 }
            case "(":
                endToken()
                depth += 1
            case ")":
                endToken()
                guard depth > 0 else { throw DNSWireError(.badPresentation, at: lineNumber, "line \(lineNumber): ')' without '('") }
                depth -= 1
            case "\"":
                endToken()
                inQuote = true
            case "\\":
                inToken = true
                current.unicodeScalars.append(c)
                if i + 1 < chars.count && chars[i + 1] != "\n" {
                    current.unicodeScalars.append(chars[i + 1])
                    i += 1
                }
            default:
                inToken = true
                current.unicodeScalars.append(c)
            }
            i += 1
        }
        guard depth == 0 else {
            throw DNSWireError(.badPresentation, at: startLine, "line \(startLine): '(' is never closed")
        }
        return result
    }

    static func rdata(type: DNSType, tokens: [Token], origin: DNSName, line: Int) throws -> RecordData {
        func fail(_ reason: String) -> DNSWireError {
            DNSWireError(.badPresentation, at: line, "line \(line): \(type) \(reason)")
        }
        func count(_ n: Int) throws {
            guard tokens.count == n else { throw fail("needs \(n) fields, found \(tokens.count)") }
        }
        func number<T: FixedWidthInteger>(_ index: Int, _: T.Type) throws -> T {
            guard let value = T(tokens[index].text) else { throw fail("field '\(tokens[index].text)' is not a number in range") }
            return value
        }
        func name(_ index: Int) throws -> DNSName { try DNSName(tokens[index].text, origin: origin) }

        if let first = tokens.first, !first.quoted, first.text == "\\#" {
            guard tokens.count >= 2, let length = Int(tokens[1].text) else { throw fail("generic RDATA needs a length") }
            let hex = tokens.dropFirst(2).map(\.text).joined()
            guard let bytes = hexBytes(hex), bytes.count == length else {
                throw fail("generic RDATA hex does not match length \(length)")
            }
            // typed data from the generic form, so that both spellings of a record compare equal
            do {
                return try RecordData(type: type, rdata: bytes)
            } catch let error as DNSWireError {
                throw fail("generic RDATA does not decode: \(error.reason)")
            }
        }
        switch type {
        case .a:
            try count(1)
            guard let address = IPv4Address(tokens[0].text) else { throw fail("address '\(tokens[0].text)' is not IPv4") }
            return .a(address)
        case .aaaa:
            try count(1)
            guard let address = IPv6Address(tokens[0].text) else { throw fail("address '\(tokens[0].text)' is not IPv6") }
            return .aaaa(address)
        case .ns:
            try count(1)
            return .ns(try name(0))
        case .cname:
            try count(1)
            return .cname(try name(0))
        case .ptr:
            try count(1)
            return .ptr(try name(0))
        case .mx:
            try count(2)
            return .mx(preference: try number(0, UInt16.self), exchange: try name(1))
        case .srv:
            try count(4)
            return .srv(SRV(priority: try number(0, UInt16.self), weight: try number(1, UInt16.self), port: try number(2, UInt16.self), target: try name(3)))
        case .soa:
            try count(7)
            return .soa(
                SOA(
                    mname: try name(0), rname: try name(1), serial: try number(2, UInt32.self), refresh: try number(3, UInt32.self),
                    retry: try number(4, UInt32.self), expire: try number(5, UInt32.self), minimum: try number(6, UInt32.self)))
        case .txt:
            guard !tokens.isEmpty else { throw fail("needs at least one string") }
            return .txt(
                try tokens.map { token in
                    let bytes = try unescape(token.text, line: line)
                    guard bytes.count <= DNSWireLimits.maxCharacterString else {
                        throw DNSWireError(.stringTooLong, at: line, "line \(line): TXT string of \(bytes.count) octets exceeds 255")
                    }
                    return bytes
                })
        default:
            throw fail("has no text form here; use the RFC 3597 form \\# <length> <hex>")
        }
    }

    static func unescape(_ text: String, line: Int) throws -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw DNSWireError(.badPresentation, at: line, "line \(line): string ends in a lone backslash") }
                let digits = bytes[(i + 1)...].prefix(3)
                if digits.count == 3, digits.allSatisfy({ (48...57).contains($0) }) {
                    let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
                    guard value <= 255 else { throw DNSWireError(.badPresentation, at: line, "line \(line): escape \\\(value) above 255") }
                    out.append(UInt8(value))
                    i += 4
                } else {
                    out.append(bytes[i + 1])
                    i += 2
                }
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 65...70: return c - 55
            case 97...102: return c - 87
            default: return nil
            }
        }
        var i = 0
        while i < digits.count {
            guard let h = value(digits[i]), let l = value(digits[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
