/* topics: chatctl's Kafka commands. */
#include "topics.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kstage.h"
#include "util.h"

#define MAX_TOPICS 64

struct topic_spec {
	char name[250];
	int partitions;
};

static int read_topic_file(const char *file, int def_partitions, struct topic_spec *out, int max)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "chatctl: cannot open topic file \"%s\"\n", file);
		return -1;
	}
	char line[512];
	int n = 0, lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char name[250], extra[32];
		int parts = def_partitions;
		int k = sscanf(line, "%249s %31s", name, extra);
		if (k < 1)
			continue;
		long v;
		if (k == 2 && util_parse_long(extra, 1, 10000, &v)) {
			fprintf(stderr, "chatctl: %s:%d: partitions \"%s\" is not a number from 1 to 10000\n", file,
				lineno, extra);
			fclose(f);
			return -1;
		}
		if (k == 2)
			parts = (int)v;
		if (n == max) {
			fprintf(stderr, "chatctl: %s: more than %d topics\n", file, max);
			fclose(f);
			return -1;
		}
		util_strlcpy(out[n].name, name, sizeof(out[n].name));
		out[n].partitions = parts;
		n++;
	}
	fclose(f);
	return n;
}

static rd_kafka_t *admin_client(const char *brokers, rd_kafka_type_t type, const char *group)
{
	char errstr[512];
	rd_kafka_conf_t *conf = kstage_base_conf(brokers, errstr, sizeof(errstr));
	if (!conf || (group && kstage_conf_set(conf, "group.id", group, errstr, sizeof(errstr)))) {
		fprintf(stderr, "chatctl: %s\n", errstr);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	if (!rk)
		fprintf(stderr, "chatctl: %s\n", errstr);
	return rk;
}

int cc_topics_create(const char *brokers, const char *file, int partitions, int replication)
{
	struct topic_spec specs[MAX_TOPICS];
	int n = read_topic_file(file, partitions, specs, MAX_TOPICS);
	if (n < 0)
		return -1;
	rd_kafka_t *rk = admin_client(brokers, RD_KAFKA_PRODUCER, NULL);
	if (!rk)
		return -1;
	int done[MAX_TOPICS] = { 0 }, remaining = n, rc = -1;
	int64_t deadline = util_mono_us() + 60 * 1000000LL;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	while (remaining > 0 && util_mono_us() < deadline) {
		rd_kafka_NewTopic_t *nts[MAX_TOPICS];
		int nn = 0;
		char errstr[256];
		for (int i = 0; i < n; i++)
			if (!done[i])
				nts[nn++] = rd_kafka_NewTopic_new(specs[i].name, specs[i].partitions, replication, errstr,
								  sizeof(errstr));
		rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
		rd_kafka_AdminOptions_set_operation_timeout(opt, 10000, errstr, sizeof(errstr));
		rd_kafka_AdminOptions_set_request_timeout(opt, 10000, errstr, sizeof(errstr));
		rd_kafka_CreateTopics(rk, nts, (size_t)nn, opt, q);
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
		rd_kafka_AdminOptions_destroy(opt);
		rd_kafka_NewTopic_destroy_array(nts, (size_t)nn);
		if (!ev || rd_kafka_event_error(ev)) {
			fprintf(stderr, "chatctl: broker not ready (%s); retrying\n",
				ev ? rd_kafka_event_error_string(ev) : "no answer");
			if (ev)
				rd_kafka_event_destroy(ev);
			util_sleep_ms(1000, NULL);
			continue;
		}
		size_t cnt;
		const rd_kafka_topic_result_t **tr =
		    rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
		for (size_t i = 0; i < cnt; i++) {
			const char *name = rd_kafka_topic_result_name(tr[i]);
			rd_kafka_resp_err_t err = rd_kafka_topic_result_error(tr[i]);
			int idx = -1;
			for (int k = 0; k < n; k++)
				if (!strcmp(specs[k].name, name))
					idx = k;
			if (idx < 0)
				continue;
			if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				printf("topic %-24s %s (%d partitions requested)\n", name,
				       err ? "exists" : "created", specs[idx].partitions);
				done[idx] = 1;
				remaining--;
			} else {
				fprintf(stderr, "chatctl: cannot create %s: %s\n", name,
					rd_kafka_topic_result_error_string(tr[i]));
			}
		}
		rd_kafka_event_destroy(ev);
		if (remaining)
			util_sleep_ms(1000, NULL);
	}
	if (remaining == 0)
		rc = 0;
	else
		fprintf(stderr, "chatctl: %d topic(s) could not be created within 60 s\n", remaining);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

static int by_topic_name(const void *a, const void *b, void *arg)
{
	const struct rd_kafka_metadata *md = arg;
	return strcmp(md->topics[*(const int *)a].topic, md->topics[*(const int *)b].topic);
}

int cc_topics_list(const char *brokers)
{
	rd_kafka_t *rk = admin_client(brokers, RD_KAFKA_PRODUCER, NULL);
	if (!rk)
		return -1;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
	if (err) {
		fprintf(stderr, "chatctl: broker %s unreachable: %s\n", brokers, rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
		return -1;
	}
	const struct rd_kafka_group_list *groups = NULL;
	if (rd_kafka_list_groups(rk, NULL, &groups, 5000))
		groups = NULL;

	/* Every partition of every visible topic, with its end offset. */
	rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(64);
	for (int t = 0; t < md->topic_cnt; t++) {
		if (!strncmp(md->topics[t].topic, "__", 2))
			continue;
		for (int p = 0; p < md->topics[t].partition_cnt; p++)
			rd_kafka_topic_partition_list_add(all, md->topics[t].topic, p);
	}
	int64_t *high = xcalloc((size_t)all->cnt + 1, sizeof(int64_t));
	for (int i = 0; i < all->cnt; i++) {
		int64_t lo = 0, hi = 0;
		rd_kafka_query_watermark_offsets(rk, all->elems[i].topic, all->elems[i].partition, &lo, &hi, 5000);
		high[i] = hi;
	}
	printf("%-24s %10s %12s\n", "TOPIC", "PARTITIONS", "MESSAGES");
	int *order = xcalloc((size_t)md->topic_cnt + 1, sizeof(int));
	for (int t = 0; t < md->topic_cnt; t++)
		order[t] = t;
	qsort_r(order, (size_t)md->topic_cnt, sizeof(int), by_topic_name, (void *)md);
	for (int oi = 0; oi < md->topic_cnt; oi++) {
		int t = order[oi];
		const char *name = md->topics[t].topic;
		if (!strncmp(name, "__", 2))
			continue;
		int64_t total = 0;
		for (int i = 0; i < all->cnt; i++)
			if (!strcmp(all->elems[i].topic, name))
				total += high[i];
		printf("%-24s %10d %12lld\n", name, md->topics[t].partition_cnt, (long long)total);
		for (int g = 0; groups && g < groups->group_cnt; g++) {
			rd_kafka_t *c = admin_client(brokers, RD_KAFKA_CONSUMER, groups->groups[g].group);
			if (!c)
				continue;
			rd_kafka_topic_partition_list_t *mine = rd_kafka_topic_partition_list_new(8);
			for (int i = 0; i < all->cnt; i++)
				if (!strcmp(all->elems[i].topic, name))
					rd_kafka_topic_partition_list_add(mine, name, all->elems[i].partition);
			int64_t lag = 0;
			int any = 0;
			if (!rd_kafka_committed(c, mine, 5000)) {
				for (int i = 0; i < mine->cnt; i++) {
					if (mine->elems[i].offset < 0)
						continue;
					any = 1;
					for (int k = 0; k < all->cnt; k++)
						if (!strcmp(all->elems[k].topic, name) &&
						    all->elems[k].partition == mine->elems[i].partition)
							lag += high[k] - mine->elems[i].offset;
				}
			}
			if (any)
				printf("    group %-28s lag %lld\n", groups->groups[g].group, (long long)lag);
			rd_kafka_topic_partition_list_destroy(mine);
			rd_kafka_destroy(c);
		}
	}
	free(order);
	free(high);
	rd_kafka_topic_partition_list_destroy(all);
	if (groups)
		rd_kafka_group_list_destroy(groups);
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return 0;
}
