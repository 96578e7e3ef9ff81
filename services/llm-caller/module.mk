llm-caller_MAIN := services/llm-caller/main.c
llm-caller_SRCS := services/llm-caller/llm-caller.c services/llm-caller/tools.c services/llm-caller/prompt.c \
	services/llm-caller/offline.c services/llm-caller/openai.c services/llm-caller/bedrock.c \
	services/llm-caller/http.c services/llm-caller/sse.c
