chatctl_MAIN := tools/chatctl/main.c
chatctl_SRCS := tools/chatctl/client.c tools/chatctl/topics.c tools/chatctl/bench.c tools/chatctl/kb.c tools/chatctl/wsclient.c tools/chatctl/wsbench.c
chatctl_LIBS := -lcurl -lcrypto
