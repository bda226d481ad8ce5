import DNSWire
import NIOCore
import Testing

/// One named test per malformed-input rule; each asserts the error code and the byte offset.
struct RejectionTests {
    /// Header with the given counts, then `body`.
    static func message(qd: Int = 0, an: Int = 0, ns: Int = 0, ar: Int = 0, _ body: String = "") -> [UInt8] {
        func u16(_ v: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        return Hex.bytes("0001 8000 \(u16(qd)) \(u16(an)) \(u16(ns)) \(u16(ar)) " + body)
    }

    /// A question for `k8s. A` (offsets 12...20).
    static let question = "036b387300 0001 0001"

    static func decode(_ bytes: [UInt8], options: DNSDecodingOptions = .strict) throws {
        _ = try DNSMessage(wireFormat: bytes, options: options)
    }

    // MARK: truncated

    @Test func truncatedInsideHeader() {
        expectWireError(.truncated, at: 4) { try Self.decode(Hex.bytes("0001 8000 00")) }
        expectWireError(.truncated, at: 0) { try Self.decode([]) }
    }

    @Test func truncatedBeforeQuestionName() {
        expectWireError(.truncated, at: 12) { try Self.decode(Self.message(qd: 1)) }
    }

    @Test func truncatedInsideLabel() {
        // label of 3 announced, 2 present
        expectWireError(.truncated, at: 12) { try Self.decode(Self.message(qd: 1, "036b38")) }
    }

    @Test func truncatedInsidePointer() {
        expectWireError(.truncated, at: 12) { try Self.decode(Self.message(qd: 1, "c0")) }
    }

    @Test func truncatedInsideQuestionFields() {
        expectWireError(.truncated, at: 19) { try Self.decode(Self.message(qd: 1, "036b387300 0001 00")) }
    }

    @Test func truncatedRDataRunsPastMessage() {
        // A record announcing 4 octets of RDATA with 3 present: offset is the RDATA start (33)
        expectWireError(.truncated, at: 33) { try Self.decode(Self.message(qd: 1, an: 1, Self.question + " c00c 0001 0001 0000003c 0004 0a0b0c")) }
    }

    @Test func truncatedWhenCountsClaimMoreRecords() {
        expectWireError(.truncated, at: 21) { try Self.decode(Self.message(qd: 1, an: 1, Self.question)) }
        expectWireError(.truncated, at: 12) { try Self.decode(Self.message(ar: 0xffff)) }
    }

    // MARK: trailingBytes

    @Test func trailingBytesAfterLastRecord() throws {
        let bytes = Self.message(qd: 1, Self.question + " 00")
        expectWireError(.trailingBytes, at: 21) { try Self.decode(bytes) }
        // the named lenient mode accepts them
        #expect(try DNSMessage(wireFormat: bytes, options: .lenient).questions.count == 1)
    }

    @Test func trailingBytesInsideRData() {
        // CNAME RDATA of 4 octets holding a 2-octet name (a pointer): 2 left over at 35
        expectWireError(.trailingBytes, at: 35) {
            try Self.decode(Self.message(qd: 1, an: 1, Self.question + " c00c 0005 0001 0000003c 0004 c00c 0000"))
        }
        // an opaque type is never left over: RDATA is taken whole
        #expect(throws: Never.self) {
            try Self.decode(Self.message(qd: 1, an: 1, Self.question + " c00c ff00 0001 0000003c 0004 c00c 0000"))
        }
    }

    // MARK: names

    @Test func labelTooLongIsABuildingRule() {
        // the wire cannot say 64: 0x40 is a reserved label type (see badLabelType)
        let long = [UInt8](repeating: 0x61, count: 64)
        expectWireError(.labelTooLong, at: nil) { _ = try DNSName(labels: [long]) }
        expectWireError(.labelTooLong, at: nil) { _ = try DNSName(String(repeating: "a", count: 64) + ".k8s.") }
        #expect(throws: Never.self) { _ = try DNSName(labels: [[UInt8](repeating: 0x61, count: 63)]) }
    }

    @Test func nameTooLongOnTheWire() throws {
        let label63 = "3f" + String(repeating: "61", count: 63)
        // 3 labels of 63 (192 octets) then one more of 63: 192 + 64 + 1 > 255, refused at that label
        expectWireError(.nameTooLong, at: 12 + 192) {
            try Self.decode(Self.message(qd: 1, String(repeating: label63, count: 4) + "00 0001 0001"))
        }
        // exactly 255 octets is fine: 3×64 + 62 + the root
        let name255 = String(repeating: label63, count: 3) + "3d" + String(repeating: "62", count: 61) + "00"
        let decoded = try DNSMessage(wireFormat: Self.message(qd: 1, name255 + " 0001 0001"))
        #expect(decoded.question?.name.wire.count == 255)
    }

    @Test func nameTooLongThroughPointers() {
        // question name is 4 labels of 50 (204 octets + root); the answer owner adds a
        // 60-octet label and points at it: 61 + 205 > 255, refused at the label that overflows,
        // the question's fourth, reached through the pointer (12 + 3 × 51)
        let label50 = "32" + String(repeating: "61", count: 50)
        let label60 = "3c" + String(repeating: "62", count: 60)
        let body = String(repeating: label50, count: 4) + "00 0001 0001 " + label60 + "c00c 0001 0001 00000000 0004 01020304"
        expectWireError(.nameTooLong, at: 165) { try Self.decode(Self.message(qd: 1, an: 1, body)) }
    }

    @Test func nameTooLongFromText() {
        let label = String(repeating: "a", count: 63)
        expectWireError(.nameTooLong, at: nil) { _ = try DNSName([label, label, label, label].joined(separator: ".") + ".") }
        expectWireError(.nameTooLong, at: nil) {
            _ = try DNSName([label, label, label].joined(separator: ".") + ".").appending(DNSName(label + "."))
        }
    }

    @Test(arguments: [0x40, 0x80, 0x7f, 0xbf] as [UInt8])
    func badLabelType(first: UInt8) {
        var bytes = Self.message(qd: 1, Self.question)
        bytes[12] = first
        expectWireError(.badLabelType, at: 12) { try Self.decode(bytes) }
    }

    @Test func forwardPointer() {
        // a pointer to itself
        expectWireError(.forwardPointer, at: 12) { try Self.decode(Self.message(qd: 1, "c00c 0001 0001")) }
        // a pointer past itself
        expectWireError(.forwardPointer, at: 12) { try Self.decode(Self.message(qd: 1, "c00e 0001 0001 00")) }
        // after a label, a pointer to the start of its own name
        expectWireError(.forwardPointer, at: 16) { try Self.decode(Self.message(qd: 1, "036b3873 c010 0001 0001")) }
    }

    /// `count` pointers laid out in an opaque RDATA at 28, each pointing at the one before and the
    /// first at the root name at 12; a second record's owner points at the last one.
    static func pointerChain(count: Int) -> [UInt8] {
        let rdataStart = 28
        var rdata = "c00c"
        for i in 1..<count {
            rdata += String(format: "%04x", 0xC000 | (rdataStart + 2 * (i - 1)))
        }
        let last = String(format: "%04x", 0xC000 | (rdataStart + 2 * (count - 1)))
        let body =
            "00 0001 0001" + " 00 ff00 0001 00000000 \(String(format: "%04x", 2 * count)) " + rdata + " \(last) 0001 0001 00000000 0004 01020304"
        return message(qd: 1, an: 2, body)
    }

    @Test func pointerHopBudget() throws {
        // 126 chained pointers plus the owner's own: 127 hops, the budget, decodes
        let within = try DNSMessage(wireFormat: Self.pointerChain(count: 126))
        #expect(within.answers[1].name.isRoot)
        // 127 + 1 = 128 hops: refused at the 128th pointer, which is the first of the chain (28)
        expectWireError(.pointerLoop, at: 28) { try Self.decode(Self.pointerChain(count: 127)) }
        #expect(DNSWireLimits.maxPointerHops == 127)
    }

    // MARK: RDATA lengths

    @Test(arguments: [
        ("A of 3", "0001", "0003 0a0b0c", 33),
        ("A of 5", "0001", "0005 0a0b0c0d0e", 33),
        ("AAAA of 4", "001c", "0004 0a0b0c0d", 33),
        ("MX of 2", "000f", "0002 000a", 33),
        ("SRV of 6", "0021", "0006 000000000050", 33),
        ("SOA without counters", "0006", "0004 c00c c00c", 37),
        ("CNAME name past RDATA", "0005", "0001 036b3873 00", 38),
        ("TXT string past RDATA", "0010", "0003 05616263", 33),
        ("OPT option header past RDATA", "0029", "0003 000300", 33),
        ("OPT option data past RDATA", "0029", "0006 00030004 6162", 35),
    ])
    func badRDataLength(label: String, type: String, rdata: String, offset: Int) {
        // OPT lives in the additional section with the root as owner; the others in the answer
        let isOPT = type == "0029"
        let record = (isOPT ? "00" : "c00c") + " \(type) 0001 0000003c " + rdata
        let bytes =
            isOPT
            ? Self.message(qd: 1, ar: 1, Self.question + " " + record)
            : Self.message(qd: 1, an: 1, Self.question + " " + record)
        // the OPT record's owner is one octet shorter than a pointer
        expectWireError(.badRDataLength, at: isOPT ? offset - 1 : offset) { try Self.decode(bytes) }
    }

    // MARK: OPT placement

    @Test func badOPTInAnswerSection() {
        expectWireError(.badOPT, at: 21) { try Self.decode(Self.message(qd: 1, an: 1, Self.question + " 00 0029 04d0 00000000 0000")) }
    }

    @Test func badOPTInAuthoritySection() {
        expectWireError(.badOPT, at: 21) { try Self.decode(Self.message(qd: 1, ns: 1, Self.question + " 00 0029 04d0 00000000 0000")) }
    }

    @Test func badOPTTwice() {
        let opt = " 00 0029 04d0 00000000 0000"
        expectWireError(.badOPT, at: 32) { try Self.decode(Self.message(qd: 1, ar: 2, Self.question + opt + opt)) }
    }

    @Test func badOPTNotOwnedByRoot() {
        expectWireError(.badOPT, at: 21) { try Self.decode(Self.message(qd: 1, ar: 1, Self.question + " c00c 0029 04d0 00000000 0000")) }
    }

    // MARK: TCP framing

    @Test func emptyFrame() throws {
        var decoder = DNSTCPFrameDecoder()
        decoder.append([0, 0])
        expectWireError(.emptyFrame, at: 0) { _ = try decoder.nextFrame() }
        // after one good frame, the offset counts the stream octets consumed before the bad one
        var second = DNSTCPFrameDecoder()
        second.append([0, 2, 0xab, 0xcd, 0, 0])
        #expect(try second.nextFrame().map { Array($0.readableBytesView) } == [0xab, 0xcd])
        expectWireError(.emptyFrame, at: 4) { _ = try second.nextFrame() }
    }

    // MARK: encode-side rules

    @Test func stringTooLongOnEncode() {
        let record = ResourceRecord(name: "k8s.", ttl: 1, data: .txt([[UInt8](repeating: 0x61, count: 256)]))
        expectWireError(.stringTooLong, at: nil) { _ = try DNSMessage(answers: [record]).wireBytes() }
    }

    @Test func messageTooLargeOnEncode() {
        let string = [UInt8](repeating: 0x61, count: 255)
        let records = (0..<300).map { _ in ResourceRecord(name: "k8s.", ttl: 1, data: .txt([string])) }
        expectWireError(.messageTooLarge, at: nil) { _ = try DNSMessage(answers: records).wireBytes() }
        expectWireError(.messageTooLarge, at: nil) {
            _ = try DNSTCPFrameDecoder.frame(ByteBuffer(bytes: [UInt8](repeating: 0, count: 65536)))
        }
    }

    @Test func tooManyRecordsOnEncode() {
        let questions = [DNSQuestion](repeating: DNSQuestion(name: .root, type: .a), count: 65536)
        expectWireError(.tooManyRecords, at: nil) { _ = try DNSMessage(questions: questions).wireBytes() }
    }
}
