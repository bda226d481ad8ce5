#define _GNU_SOURCE
#include <sched.h>
#include <spawn.h>
#include "CNetNamespace.h"

int kubetape_setns_net(int fd) {
    return setns(fd, CLONE_NEWNET);
}

int kubetape_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
