orchestrator_MAIN := services/orchestrator/main.c
orchestrator_SRCS := services/orchestrator/orchestrator.c services/orchestrator/tools.c services/orchestrator/refs.c services/orchestrator/store.c
