import ClusterModel
import DNSWire
