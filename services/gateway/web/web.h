/* web: the chat widget (/widget.js) and the demo page (/), built into the
 * gateway binary from services/gateway/web/ (see README.md, "Web chat widget"). */
#ifndef SERVICES_GATEWAY_WEB_WEB_H
#define SERVICES_GATEWAY_WEB_WEB_H

#include <microhttpd.h>

/* When url is one of the built-in files, queue its response (405 for a
 * method other than GET or HEAD) into *result and return 1; else 0. */
int gw_web_serve(struct MHD_Connection *conn, const char *method, const char *url, enum MHD_Result *result);

#endif
