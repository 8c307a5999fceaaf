/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Leveled logging to stderr; libbpf's own output is routed through it. */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

enum ferry_log_level {
	FERRY_LOG_WARN = 0,
	FERRY_LOG_INFO,
	FERRY_LOG_DEBUG,
};

void ferry_log_set_level(enum ferry_log_level level);
enum ferry_log_level ferry_log_get_level(void);
void ferry_log(enum ferry_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Send libbpf's messages through ferry_log (warnings always, the rest at debug). */
void ferry_log_libbpf(void);

#define pr_warn(...)	ferry_log(FERRY_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	ferry_log(FERRY_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	ferry_log(FERRY_LOG_DEBUG, __VA_ARGS__)

#endif
