retriever_MAIN := services/retriever/main.c
retriever_SRCS := services/retriever/retriever.c services/retriever/store.c
