#define _GNU_SOURCE
#include <sched.h>
#include "CNetNamespace.h"

int kubetape_setns_net(int fd) {
    return setns(fd, CLONE_NEWNET);
}
