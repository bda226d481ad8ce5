/// Limits the readers apply to untrusted files.
public enum CaptureFileLimits {
    /// The largest pcapng block accepted (16 MiB, like Wireshark's limit); larger lengths are
    /// reported as a malformed file instead of being allocated.
    public static let maxBlockLength = 16 * 1024 * 1024
}
