gateway_MAIN := services/gateway/main.c
gateway_SRCS := services/gateway/gateway.c services/gateway/http.c
gateway_SRCS += services/gateway/jwt.c services/gateway/auth.c services/gateway/feedback.c
gateway_SRCS += services/gateway/ratelimit.c services/gateway/ws.c services/gateway/evlog.c services/gateway/origin.c
gateway_SRCS += services/gateway/whatsapp.c services/gateway/graph.c services/formatter/formatter.c
gateway_SRCS += services/guardrail/redact.c
gateway_LIBS := -lcrypto -lwebsockets -lev
# The widget and demo page are embedded by web.c (.incbin): rebuild it when they change.
gateway_SRCS += services/gateway/web/web.c
$(BUILD)/obj/services/gateway/web/web.o: services/gateway/web/widget.js services/gateway/web/index.html

# make bench-gateway: idle WebSockets held, RSS per 1,000, turns through the gateway.
.PHONY: bench-gateway
bench-gateway: deps
	$(Q)bash tests/bench-gateway.sh
