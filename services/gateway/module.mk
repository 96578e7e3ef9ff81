gateway_MAIN := services/gateway/main.c
gateway_SRCS := services/gateway/gateway.c services/gateway/http.c services/gateway/whatsapp.c \
	services/gateway/graph.c services/formatter/formatter.c
gateway_LIBS := -lcrypto
