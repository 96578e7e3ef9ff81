/* expand: a small retail thesaurus; see expand.h. */
#include "expand.h"

#include <string.h>

#include "util.h"

struct syn {
	const char *lang;
	const char *phrase; /* what a customer writes (ASCII: whole words, any case) */
	const char *adds;   /* what the documents say */
};

static const struct syn SYN[] = {
	{ "en", "send back", "return" },
	{ "en", "send it back", "return" },
	{ "en", "sent back", "return" },
	{ "en", "give back", "return" },
	{ "en", "take back", "return" },
	{ "en", "bring back", "return" },
	{ "en", "money back", "refund" },
	{ "en", "my money", "refund" },
	{ "en", "reimburse", "refund" },
	{ "en", "swap", "exchange" },
	{ "en", "broken", "damaged faulty" },
	{ "en", "defective", "faulty" },
	{ "en", "not working", "faulty" },
	{ "en", "stopped working", "faulty" },
	{ "en", "guarantee", "warranty" },
	{ "en", "ship", "delivery" },
	{ "en", "shipping", "delivery" },
	{ "en", "postage", "delivery" },
	{ "en", "courier", "delivery" },
	{ "en", "arrive", "delivery" },
	{ "en", "shop", "store" },
	{ "en", "outlet", "store" },
	{ "en", "branch", "store" },
	{ "en", "showroom", "store" },
	{ "en", "pay later", "instalment" },
	{ "en", "installment", "instalment" },
	{ "en", "installments", "instalment" },
	{ "en", "discount", "promotion" },
	{ "en", "deal", "promotion" },
	{ "en", "deals", "promotion" },
	{ "en", "promo", "promotion" },
	{ "en", "sale", "promotion" },
	{ "en", "sales", "promotion" },
	{ "en", "amex", "american express" },
	{ "en", "coupon", "promo code voucher" },
	{ "en", "rewards", "points" },
	{ "en", "membership", "points tier" },
	{ "en", "put together", "assembly" },
	{ "en", "set up", "assembly" },
	{ "en", "install", "assembly" },
	{ "en", "build", "assembly" },
	{ "en", "my data", "personal data" },
	{ "en", "my information", "personal data" },
	{ "en", "my details", "personal data" },
	{ "en", "my info", "personal data" },
	{ "en", "camera", "cctv" },
	{ "en", "cameras", "cctv" },
	{ "en", "footage", "cctv" },
	{ "en", "opt out", "marketing" },
	{ "en", "unsubscribe", "marketing" },
	{ "en", "newsletter", "marketing" },
	{ "en", "promo emails", "marketing" },
	{ "en", "cracked", "damaged" },
	{ "en", "scratched", "damaged" },
	{ "en", "dented", "damaged" },
	{ "en", "snapped", "damaged faulty" },
	{ "en", "torn", "damaged" },
	{ "en", "flip", "rotate" },
	{ "en", "cheaper", "price match" },
	{ "ms", "hantar balik", "pulang" },
	{ "ms", "pulang balik", "pulang" },
	{ "ms", "duit balik", "bayaran balik" },
	{ "ms", "wang balik", "bayaran balik" },
	{ "ms", "rosak", "rosak waranti" },
	{ "ms", "kedai", "kedai" },
	{ "ms", "jualan", "promosi" },
	{ "zh", "退钱", "退款" },
	{ "zh", "寄回", "退货" },
	{ "zh", "坏了", "损坏 保修" },
	{ "zh", "运费", "送货" },
	/* towns to the regions the delivery tables name */
	{ "en", "kuching", "Sarawak East Malaysia" },
	{ "en", "miri", "Sarawak East Malaysia" },
	{ "en", "sibu", "Sarawak East Malaysia" },
	{ "en", "bintulu", "Sarawak East Malaysia" },
	{ "en", "kota kinabalu", "Sabah East Malaysia" },
	{ "en", "sandakan", "Sabah East Malaysia" },
	{ "en", "tawau", "Sabah East Malaysia" },
	{ "en", "ipoh", "Perak" },
	{ "en", "taiping", "Perak" },
	{ "en", "kuantan", "Pahang" },
	{ "en", "kota bharu", "Kelantan" },
	{ "en", "kuala terengganu", "Terengganu" },
	{ "en", "alor setar", "Kedah" },
	{ "en", "seremban", "Negeri Sembilan" },
	{ "en", "shah alam", "Selangor Klang Valley" },
	{ "en", "petaling jaya", "Selangor Klang Valley" },
	{ "en", "subang", "Selangor Klang Valley" },
	{ "en", "cyberjaya", "Selangor Klang Valley" },
	{ "en", "kl", "Kuala Lumpur Klang Valley" },
	{ "en", "george town", "Penang" },
	{ "en", "georgetown", "Penang" },
	{ "en", "butterworth", "Penang" },
	{ "en", "jb", "Johor Bahru" },
	{ "ms", "kuching", "Sarawak Malaysia Timur" },
	{ "ms", "miri", "Sarawak Malaysia Timur" },
	{ "ms", "sibu", "Sarawak Malaysia Timur" },
	{ "ms", "bintulu", "Sarawak Malaysia Timur" },
	{ "ms", "kota kinabalu", "Sabah Malaysia Timur" },
	{ "ms", "sandakan", "Sabah Malaysia Timur" },
	{ "ms", "tawau", "Sabah Malaysia Timur" },
	{ "ms", "ipoh", "Perak" },
	{ "ms", "taiping", "Perak" },
	{ "ms", "kuantan", "Pahang" },
	{ "ms", "kota bharu", "Kelantan" },
	{ "ms", "kuala terengganu", "Terengganu" },
	{ "ms", "alor setar", "Kedah" },
	{ "ms", "seremban", "Negeri Sembilan" },
	{ "ms", "shah alam", "Selangor Lembah Klang" },
	{ "ms", "petaling jaya", "Selangor Lembah Klang" },
	{ "ms", "subang", "Selangor Lembah Klang" },
	{ "ms", "cyberjaya", "Selangor Lembah Klang" },
	{ "ms", "kl", "Kuala Lumpur Lembah Klang" },
	{ "ms", "george town", "Penang" },
	{ "ms", "georgetown", "Penang" },
	{ "ms", "butterworth", "Penang" },
	{ "ms", "jb", "Johor Bahru" },
	{ "zh", "古晋", "砂拉越 东马" },
	{ "zh", "美里", "砂拉越 东马" },
	{ "zh", "诗巫", "砂拉越 东马" },
	{ "zh", "亚庇", "沙巴 东马" },
	{ "zh", "山打根", "沙巴 东马" },
	{ "zh", "斗湖", "沙巴 东马" },
	{ "zh", "怡保", "霹雳" },
	{ "zh", "关丹", "彭亨" },
	{ "zh", "吉隆坡", "巴生谷" },
	{ "zh", "八打灵再也", "雪兰莪 巴生谷" },
	{ "zh", "莎阿南", "雪兰莪 巴生谷" },
	{ "zh", "新山", "柔佛" },
	{ "zh", "槟岛", "槟城" },
};

char *query_expand(const char *query, const char *language)
{
	const char *lang = language && *language ? language : "en";
	size_t cap = strlen(query) + 1, len = strlen(query);
	char *out = xmalloc(cap);
	memcpy(out, query, len + 1);
	for (size_t i = 0; i < ARRAY_LEN(SYN); i++) {
		if (strcmp(SYN[i].lang, lang) || !util_has_word(query, SYN[i].phrase) || util_has_word(out, SYN[i].adds))
			continue;
		size_t an = strlen(SYN[i].adds);
		out = xrealloc(out, len + an + 2);
		out[len++] = ' ';
		memcpy(out + len, SYN[i].adds, an + 1);
		len += an;
	}
	return out;
}
