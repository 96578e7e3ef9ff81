gateway_MAIN := services/gateway/main.c
gateway_SRCS := services/gateway/gateway.c services/gateway/http.c
gateway_SRCS += services/gateway/jwt.c services/gateway/auth.c services/gateway/feedback.c
gateway_SRCS += services/gateway/ratelimit.c services/gateway/ws.c
gateway_LIBS := -lcrypto -lwebsockets
# The widget and demo page are embedded by web.c (.incbin): rebuild it when they change.
gateway_SRCS += services/gateway/web/web.c
$(BUILD)/obj/services/gateway/web/web.o: services/gateway/web/widget.js services/gateway/web/index.html
