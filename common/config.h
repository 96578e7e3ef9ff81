/* config: one static table per service, read once from the environment at
 * startup; `--help` prints it. */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <stddef.h>

enum cfg_type { CFG_STR, CFG_INT, CFG_BOOL };

struct cfg_entry {
	const char *env;     /* environment variable, e.g. "KAFKA_BROKERS" */
	enum cfg_type type;
	const char *def;     /* default as text; NULL means required */
	long min, max;       /* bounds for CFG_INT */
	const char *help;
	void *dst;           /* const char ** for STR, long * for INT, int * for BOOL */
};

/* Fill every dst from the environment or its default, checking bounds.
 * Strings point into the environment or the table: valid for the process's
 * life. Returns 0, 1 when --help was printed (caller exits 0), or -1 with
 * errstr naming the variable and what is wrong. */
int cfg_load(const struct cfg_entry *tab, size_t n, const char *prog, const char *summary, int argc,
	     char **argv, char *errstr, size_t errlen);

/* Print the table (name, default, bounds, help) to stdout. */
void cfg_print_help(const struct cfg_entry *tab, size_t n, const char *prog, const char *summary);

#endif
