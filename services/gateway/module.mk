gateway_MAIN := services/gateway/main.c
gateway_SRCS := services/gateway/gateway.c services/gateway/http.c
gateway_SRCS += services/gateway/jwt.c services/gateway/auth.c services/gateway/feedback.c
gateway_SRCS += services/gateway/ratelimit.c services/gateway/ws.c services/gateway/evlog.c
gateway_LIBS := -lcrypto -lwebsockets
