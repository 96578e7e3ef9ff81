guardrail_MAIN := services/guardrail/main.c
guardrail_SRCS := services/guardrail/guardrail.c
