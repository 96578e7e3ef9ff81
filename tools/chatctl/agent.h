/* agent: `chatctl tickets` and `chatctl erase` over the handoff service's
 * agent API (HANDOFF_API_URL, HANDOFF_AGENT_TOKEN, HANDOFF_ADMIN_TOKEN). */
#ifndef TOOLS_CHATCTL_AGENT_H
#define TOOLS_CHATCTL_AGENT_H

#include <jansson.h>
#include <stddef.h>

/* chatctl tickets [list [--all] [--tenant T]|show ID|claim ID [--agent NAME]|reply ID TEXT|close ID].
 * argv[0] is "tickets". Returns the exit code. */
int cc_tickets(int argc, char **argv);
/* chatctl erase --customer ID [--tenant T]. argv[0] is "erase". */
int cc_erase(int argc, char **argv);

/* One request to the agent API: method, path (under HANDOFF_API_URL),
 * optional JSON body, bearer token. *status and *resp (parsed JSON, caller
 * decrefs, NULL when not JSON). 0, or -1 with errstr on a transport error. */
int cc_agent_call(const char *method, const char *path, const char *body, const char *token, long *status,
		  json_t **resp, char *errstr, size_t errlen);

#endif
