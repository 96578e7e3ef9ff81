/* config: one static table per service, read once from the environment. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

void cfg_print_help(const struct cfg_entry *tab, size_t n, const char *prog, const char *summary)
{
	printf("%s: %s\n\nConfiguration (environment variables):\n", prog, summary);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_entry *e = &tab[i];
		char bounds[64] = "";
		if (e->type == CFG_INT)
			snprintf(bounds, sizeof(bounds), " [%ld..%ld]", e->min, e->max);
		else if (e->type == CFG_BOOL)
			snprintf(bounds, sizeof(bounds), " [0|1]");
		printf("  %-28s default: %s%s\n      %s\n", e->env, e->def ? (*e->def ? e->def : "(empty)") : "(required)",
		       bounds, e->help);
	}
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

int cfg_load(const struct cfg_entry *tab, size_t n, const char *prog, const char *summary, int argc,
	     char **argv, char *errstr, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cfg_print_help(tab, n, prog, summary);
			return 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct cfg_entry *e = &tab[i];
		const char *v = getenv(e->env);
		if (!v || !*v)
			v = e->def;
		if (!v) {
			snprintf(errstr, errlen, "%s is required: %s", e->env, e->help);
			return -1;
		}
		switch (e->type) {
		case CFG_STR:
			*(const char **)e->dst = v;
			break;
		case CFG_INT:
			if (util_parse_long(v, e->min, e->max, (long *)e->dst) < 0) {
				snprintf(errstr, errlen, "%s=\"%s\" is not a whole number in [%ld..%ld]", e->env, v,
					 e->min, e->max);
				return -1;
			}
			break;
		case CFG_BOOL:
			if (parse_bool(v, (int *)e->dst) < 0) {
				snprintf(errstr, errlen, "%s=\"%s\" is not a boolean (use 1 or 0)", e->env, v);
				return -1;
			}
			break;
		}
	}
	return 0;
}
