handoff_MAIN := services/handoff/main.c
handoff_SRCS := services/handoff/handoff.c services/handoff/store.c services/handoff/notify.c \
	services/handoff/api.c services/handoff/tokens.c
