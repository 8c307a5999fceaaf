/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The agent's event loop: what each watched descriptor is. */
#ifndef FERRY_SOALOOP_H
#define FERRY_SOALOOP_H

#include "soa.h"

enum soa_ev {
	SOA_EV_SIGNAL = 1,	/* signalfd: TERM, INT, HUP, CHLD */
	SOA_EV_GC,		/* timerfd of the sweep */
	SOA_EV_LISTEN,		/* the control socket */
	SOA_EV_REQUEST,		/* a client that has not sent its request */
	SOA_EV_RUNNING,		/* a client whose command runs */
	SOA_EV_SOM,		/* the connection to the SOM */
	SOA_EV_SOM_TIMER,	/* its backoff / handshake / heartbeat timer */
	SOA_EV_MIG_RETRY,	/* timerfd: a migration received waits for the table */
};

int soa_loop_add(struct soa *soa, int fd, enum soa_ev ev, unsigned int events);
int soa_loop_mod(struct soa *soa, int fd, enum soa_ev ev, unsigned int events);
void soa_loop_del(struct soa *soa, int fd);

void soa_control_request(struct soa *soa, int conn);

#endif
