// SPDX-License-Identifier: GPL-2.0-or-later
/* Heartbeat sockets: one UDP socket per link, bound to this node's address
 * on that link, sending to the other nodes' addresses on the same link. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

struct transport;

/* A datagram arrived on LINK from FROM. LEN may exceed HA_PACKET_MAX (the
 * receive buffer holds one byte more, so oversize is detectable). */
typedef void (*transport_recv_t)(void *userdata, unsigned link, const uint8_t *buf, size_t len,
                                 const struct ha_addr *from);

/* Opens and binds one socket per link of SELF and watches them on EVENT.
 * Binding uses IP_FREEBIND, so an address not yet configured (interface
 * down at boot) is no error. */
int transport_new(sd_event *event, const struct ha_config *c, const struct ha_node *self,
                  transport_recv_t cb, void *userdata, struct transport **ret);

/* Sends one datagram on LINK to TO. Returns 0 or a negative errno (the
 * caller counts it; the link may simply be down). */
int transport_send(struct transport *t, unsigned link, const struct ha_addr *to, const uint8_t *buf, size_t len);

struct transport *transport_free(struct transport *t);
