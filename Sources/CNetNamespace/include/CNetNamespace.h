#ifndef KUBETAPE_CNETNAMESPACE_H
#define KUBETAPE_CNETNAMESPACE_H

#include <spawn.h>

/// Moves the calling thread into the network namespace referred to by `fd`
/// (an open /var/run/netns/NAME). Returns 0, or -1 with errno set.
int kubetape_setns_net(int fd);

/// Adds "close every descriptor from `lowest` up" to spawn file actions (glibc's
/// posix_spawn_file_actions_addclosefrom_np, which needs _GNU_SOURCE). Returns 0 or an errno.
int kubetape_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
