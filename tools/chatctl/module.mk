chatctl_MAIN := tools/chatctl/main.c
chatctl_SRCS := tools/chatctl/client.c tools/chatctl/topics.c tools/chatctl/bench.c tools/chatctl/kb.c tools/chatctl/agent.c \
	tools/chatctl/pdf.c tools/chatctl/events.c tools/chatctl/wsclient.c tools/chatctl/wsbench.c
chatctl_LIBS := -lcurl -lcrypto $(shell pkg-config --libs poppler-glib 2>/dev/null)

# PDF text through poppler-glib: its headers only for this file.
$(BUILD)/obj/tools/chatctl/pdf.o: ALL_CFLAGS += $(shell pkg-config --cflags poppler-glib 2>/dev/null)
