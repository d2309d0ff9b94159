/* sd_notify.h - systemd's readiness notification, without libsystemd
 * (src/sd_notify.c). */
#ifndef VS_SD_NOTIFY_H
#define VS_SD_NOTIFY_H

int sd_notify_send(const char *state);

#endif
