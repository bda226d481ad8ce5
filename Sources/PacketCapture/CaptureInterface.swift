/// One interface described by a pcapng Interface Description Block.
public struct CaptureInterface: Hashable, Sendable {
    /// The IDB's index within its section (what Enhanced Packet Blocks refer to).
    public var index: Int
    /// 0-based number of the pcapng section the interface belongs to.
    public var section: Int
    /// The interface's `LINKTYPE_` value, carried by each of its packets.
    public var linkType: LinkType
    /// The snap length the IDB records; 0 means "no limit".
    public var snapLength: Int
    /// The `if_name` option, if present.
    public var name: String?
    /// The `if_description` option, if present.
    public var interfaceDescription: String?
    /// The raw `if_tsresol` octet (6, i.e. microseconds, when absent).
    public var timestampResolution: UInt8
    /// The `if_tsoffset` option in seconds (0 when absent).
    public var timestampOffsetSeconds: Int64

    /// Creates an interface description (normally read from an IDB).
    public init(
        index: Int, section: Int, linkType: LinkType, snapLength: Int, name: String? = nil, interfaceDescription: String? = nil, timestampResolution: UInt8 = 6,
        timestampOffsetSeconds: Int64 = 0
    ) {
        self.index = index
        self.section = section
        self.linkType = linkType
        self.snapLength = snapLength
        self.name = name
        self.interfaceDescription = interfaceDescription
        self.timestampResolution = timestampResolution
        self.timestampOffsetSeconds = timestampOffsetSeconds
    }
}
