#ifndef KUBETAPE_CPCAP_SHIM_H
#define KUBETAPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
