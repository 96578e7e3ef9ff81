ingestion_MAIN := services/ingestion/main.c
ingestion_SRCS := services/ingestion/ingestion.c services/ingestion/store.c
ingestion_LIBS := -lcrypto -lcurl
