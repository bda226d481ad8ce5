#ifndef KUBETAPE_CPCAP_SHIM_H
#define KUBETAPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <sys/types.h>

/* glibc's fopencookie(3), which <stdio.h> declares only under _GNU_SOURCE: a FILE whose reads
   call back into kubetape. Used to hand libpcap a capture arriving on a pipe after kubetape has
   looked at its first octets. Declared under its own name, bound to the glibc symbol, so that it
   never conflicts with a declaration <stdio.h> may make. The struct has the layout of glibc's
   cookie_io_functions_t. */
typedef ssize_t (*kubetape_cookie_read_function)(void *cookie, char *buffer, size_t size);
typedef int (*kubetape_cookie_close_function)(void *cookie);
typedef struct {
    kubetape_cookie_read_function read;
    void *write;
    void *seek;
    kubetape_cookie_close_function close;
} kubetape_cookie_io_functions;
FILE *kubetape_fopencookie(void *cookie, const char *mode, kubetape_cookie_io_functions functions) __asm__("fopencookie");
#endif
