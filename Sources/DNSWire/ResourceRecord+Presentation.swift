extension RecordData {
    /// RDATA in presentation (zone-file) form, as dig prints it.
    public var presentation: String {
        switch self {
        case .a(let address): return address.description
        case .aaaa(let address): return address.description
        case .ns(let name), .cname(let name), .ptr(let name): return name.description
        case .mx(let preference, let exchange): return "\(preference) \(exchange)"
        case .srv(let srv): return "\(srv.priority) \(srv.weight) \(srv.port) \(srv.target)"
        case .soa(let soa):
            return "\(soa.mname) \(soa.rname) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .txt(let strings):
            // TXT needs at least one string in text; RDATA without any has only the generic form
            if strings.isEmpty { return RecordData.generic([]) }
            return strings.map(RecordData.quoted).joined(separator: " ")
        case .opt(let options):
            var rdata: [UInt8] = []
            for option in options {
                rdata += [UInt8(option.code >> 8), UInt8(option.code & 0xff), UInt8(option.data.count >> 8 & 0xff), UInt8(option.data.count & 0xff)]
                rdata += option.data
            }
            return RecordData.generic(rdata)
        case .unknown(_, let rdata):
            return RecordData.generic(rdata)
        }
    }

    /// RFC 3597 generic RDATA: `\# <length> <hex>`.
    static func generic(_ rdata: [UInt8]) -> String {
        if rdata.isEmpty { return "\\# 0" }
        let hexDigits = Array("0123456789ABCDEF")
        var hex = ""
        hex.reserveCapacity(rdata.count * 2)
        for b in rdata {
            hex.append(hexDigits[Int(b >> 4)])
            hex.append(hexDigits[Int(b & 0xf)])
        }
        return "\\# \(rdata.count) \(hex)"
    }

    /// A character-string in double quotes with `\"`, `\\` and `\DDD` escapes.
    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append("\\")
                out.append(Character(Unicode.Scalar(b)))
            case 0x20...0x7e:
                out.append(Character(Unicode.Scalar(b)))
            default:
                let s = String(b)
                out.append("\\" + String(repeating: "0", count: 3 - s.count) + s)
            }
        }
        out.append("\"")
        return out
    }
}

extension ResourceRecord: CustomStringConvertible {
    /// `name. TTL CLASS TYPE rdata`, single-spaced zone-file form.
    public var description: String {
        "\(name) \(ttl) \(rrClass) \(type) \(data.presentation)"
    }

    /// The line dig prints for this record, tab-aligned as BIND does.
    public var digLine: String {
        DigColumns.line([name.description, String(ttl), rrClass.description, type.description, data.presentation])
    }
}

/// BIND's column layout for dig's sections (lib/dns/masterdump.c): TTL at column 24, class 32,
/// type 40, RDATA 48, tabs 8 wide. Each field is indented to its column, or at least one place
/// past the previous field: whole tabs while they fit, then spaces, as BIND's `indent()` does.
/// A question line skips the TTL column and its leading ';' is not counted.
enum DigColumns {
    static let recordStops = [24, 32, 40, 48]
    static let questionStops = [32, 40]

    static func line(_ fields: [String], stops: [Int] = recordStops, firstColumn: Int? = nil) -> String {
        var out = fields[0]
        var column = firstColumn ?? fields[0].count
        for (index, field) in fields.dropFirst().enumerated() {
            let stop = stops[min(index, stops.count - 1)]
            let target = max(stop, column + 1)
            let tabs = target / 8 - column / 8
            if tabs > 0 {
                out += String(repeating: "\t", count: tabs)
                column = (target / 8) * 8
            }
            out += String(repeating: " ", count: target - column)
            column = target
            out += field
            column += field.count
        }
        return out
    }
}

extension DNSQuestion: CustomStringConvertible {
    /// `;name. CLASS TYPE` as dig prints the question section.
    public var description: String {
        let owner = name.description
        return DigColumns.line([";" + owner, qClass.description, type.description], stops: DigColumns.questionStops, firstColumn: owner.count)
    }
}

extension DNSMessage: CustomStringConvertible {
    /// The message printed as `dig` prints a reply: header, flags, OPT pseudosection and sections.
    public var description: String {
        var lines: [String] = []
        lines.append(";; ->>HEADER<<- opcode: \(header.opcode), status: \(rcode), id: \(header.id)")
        var flags: [String] = []
        if header.isResponse { flags.append("qr") }
        if header.authoritative { flags.append("aa") }
        if header.truncated { flags.append("tc") }
        if header.recursionDesired { flags.append("rd") }
        if header.recursionAvailable { flags.append("ra") }
        if header.authenticData { flags.append("ad") }
        if header.checkingDisabled { flags.append("cd") }
        lines.append(
            ";; flags: \(flags.joined(separator: " ")); QUERY: \(questions.count), ANSWER: \(answers.count), AUTHORITY: \(authority.count), ADDITIONAL: \(additional.count)"
        )
        if let edns {
            lines.append("")
            lines.append(";; OPT PSEUDOSECTION:")
            lines.append("; EDNS: version: \(edns.version), flags:\(edns.dnssecOK ? " do" : ""); udp: \(edns.udpPayloadSize)")
            for option in edns.options {
                lines.append(DigOptionText.line(option))
            }
        }
        if !questions.isEmpty {
            lines.append("")
            lines.append(";; QUESTION SECTION:")
            for question in questions { lines.append(question.description) }
        }
        for (title, records) in [("ANSWER", answers), ("AUTHORITY", authority), ("ADDITIONAL", additional.filter { $0.type != .opt })] where !records.isEmpty {
            lines.append("")
            lines.append(";; \(title) SECTION:")
            for record in records { lines.append(record.digLine) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The OPT pseudosection lines dig prints for EDNS options.
enum DigOptionText {
    static func line(_ option: EDNSOption) -> String {
        switch option.code {
        case EDNSOption.nsid:
            return option.data.isEmpty ? "; NSID" : "; NSID: " + hexAndText(option.data)
        case EDNSOption.cookie:
            return "; COOKIE: " + option.data.map { hexByte($0) }.joined()
        default:
            return option.data.isEmpty ? "; OPT=\(option.code)" : "; OPT=\(option.code): " + hexAndText(option.data)
        }
    }

    /// BIND 9.18's form: hex octets, then the printable form in quotes and parentheses.
    static func hexAndText(_ data: [UInt8]) -> String {
        let hex = data.map { hexByte($0) }.joined(separator: " ")
        let text = String(decoding: data.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
        return "\(hex) (\"\(text)\")"
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
    }
}
