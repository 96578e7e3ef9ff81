llm-caller_MAIN := services/llm-caller/main.c
llm-caller_SRCS := services/llm-caller/llm-caller.c
