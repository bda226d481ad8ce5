#ifndef KUBETAPE_CNETNAMESPACE_H
#define KUBETAPE_CNETNAMESPACE_H

/// Moves the calling thread into the network namespace referred to by `fd`
/// (an open /var/run/netns/NAME). Returns 0, or -1 with errno set.
int kubetape_setns_net(int fd);

#endif
