formatter_MAIN := services/formatter/main.c
formatter_SRCS := services/formatter/formatter.c
