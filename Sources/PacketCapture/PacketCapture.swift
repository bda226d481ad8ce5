// PacketCapture: the only module that touches libpcap (through CPcap).
//
// - CaptureFileReader: offline pcap (libpcap) and pcapng (native) reading.
// - PcapWriter: classic pcap writing.
// - LiveCapture: live capture with BPF filters.
// Every public value is free of C types; errors are PacketCaptureError.
