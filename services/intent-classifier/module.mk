intent-classifier_MAIN := services/intent-classifier/main.c
intent-classifier_SRCS := services/intent-classifier/intent-classifier.c
