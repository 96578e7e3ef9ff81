gateway_MAIN := services/gateway/main.c
gateway_SRCS := services/gateway/gateway.c services/gateway/http.c
gateway_LIBS := -lcrypto
