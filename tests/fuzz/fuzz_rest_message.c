/* The REST body of POST /v1/sessions/{id}/messages (gateway). Accepted
 * bodies satisfy the documented limits; refused ones say why. */
#include "fuzz.h"
#include "services/gateway/gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_msg msg;
	char errstr[256] = "";
	memset(&msg, 0, sizeof(msg));
	if (gw_parse_message((const char *)data, size, &msg, errstr, sizeof(errstr)) == 0) {
		FUZZ_CHECK(msg.text != NULL);
		size_t n = strlen(msg.text);
		FUZZ_CHECK(n >= 1 && n <= 8192);
		FUZZ_CHECK(!msg.client_msg_id || strlen(msg.client_msg_id) <= GW_MAX_CLIENT_MSG_ID);
		gw_msg_release(&msg);
	} else {
		FUZZ_CHECK(errstr[0] != '\0');
	}
	return 0;
}
