llm-caller_MAIN := services/llm-caller/main.c
llm-caller_SRCS := services/llm-caller/llm-caller.c services/llm-caller/tools.c services/llm-caller/prompt.c \
	services/llm-caller/offline.c services/llm-caller/openai.c services/llm-caller/bedrock.c \
	services/llm-caller/http.c services/llm-caller/sse.c

# make bench-first-token: provider word -> customer word through the stack,
# with a local streaming OpenAI-compatible provider (tests/bench/first_token.py).
.PHONY: bench-first-token
bench-first-token: deps all
	$(Q)bash -c 'source deploy/env.sh && started=0; \
		if ! bash deploy/stack.sh status 2>/dev/null | awk "NR > 1 && \$$2 == \"running\" { f = 1 } END { exit !f }"; then \
			bash deploy/stack.sh up >/dev/null && started=1; fi; \
		python3 tests/bench/first_token.py; rc=$$?; \
		[ $$started = 1 ] && bash deploy/stack.sh down >/dev/null; exit $$rc'

# make eval-answers: the retrieval question set asked end to end, then the
# answer-fact set (needs make run).
.PHONY: eval-answers
eval-answers:
	$(Q)bash -c 'source deploy/env.sh && python3 tests/eval/answers.py && python3 tests/eval/answers.py --facts'
