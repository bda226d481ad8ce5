import DNSWire
import PacketCapture
