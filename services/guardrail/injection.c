/* injection: prompt-injection score of a customer's message. */
#include "injection.h"

#include <stdlib.h>
#include <string.h>

#include "services/intent-classifier/model.h"

#define NORM_MAX (GUARD_INJECTION_MAX_TEXT + 8)

/* One phrase family. a and b are '|'-separated alternatives; an ASCII
 * alternative must start at a word start (it may end mid-word, so
 * "instruction" also matches "instructions", "ignor" matches "ignoriere"),
 * a non-ASCII one (Chinese) matches anywhere. With b, some alternative of b
 * must start within window bytes after the end of a's match. */
struct rule {
	const char *a;
	const char *b;
	int window;
	float w;
};

#define OVERRIDE_VERBS                                                                                         \
	"ignor|disregard|forget|override|overrid|bypass|skip|abandon|neglect|overlook|discard|dismiss|"          \
	"do not follow|don't follow|dont follow|stop following|no longer follow|set aside|put aside|"           \
	"vergiss|vergess|missacht|überspring|verwirf|lösch|"                 \
	"abaikan|lupakan|jangan ikut|olvida|olvide|ignora|ignorez|ignore|oubliez|oublie|dimentica|ignorare|"                                                    \
	"忽略|忘记|忘掉|无视|不要理会|别管|不用管|抛开|放弃|清除"
#define OVERRIDE_TARGETS                                                                                       \
	"instruction|prompt|rule|guideline|directive|direction|programming|constraint|restriction|guardrail|"    \
	"filter|polic|system|training|previous task|prior task|earlier task|all task|tasks|assignment|context|"  \
	"everything|anything|all of the above|all above|the above|all previous|all prior|what you were told|"   \
	"your orders|preceding|"                                      \
	"anweisung|befehl|regel|vorgabe|aufgabe|alles|vorherig|obige|zuvor|davor|"                               \
	"arahan|peraturan|tugas|sistem|"                                               \
	"instrucciones|todo lo|todas las|tout ce|toutes les|istruzioni|tutto|"                                   \
	"指令|指示|规则|设定|提示|命令|任务|一切"

static const struct rule rules[] = {
	/* instruction override */
	{ OVERRIDE_VERBS, OVERRIDE_TARGETS, 40, 0.75f },
	{ "previous instruction|prior instruction|above instruction|earlier instruction|original instruction|"
	  "initial instruction|preceding instruction|vorherigen anweisung|obigen anweisung|arahan sebelum|"
	  "arahan asal|之前的指令|之前的指示|先前的指令|原来的指令|以上指令|上述指令",
	  NULL, 0, 0.6f },
	{ "new instruction|new task|new role|new persona|your next task|your new task|"
	  "neue aufgabe|neue anweisung|neuen aufgabe|arahan baru|tugas baru|新的任务|新任务|新指令|新的指令",
	  NULL, 0, 0.45f },
	{ "instead|now|from now on|ab jetzt|ab sofort|jetzt|sekarang|mulai sekarang|现在|从现在开始",
	  "write|say|tell me a|print|output|respond only|answer only|reply only|repeat after|"
	  "schreib|sag|antworte|gib|tulis|katakan|写|说|输出|回答",
	  12, 0.25f },
	{ "concentrate on|focus on|konzentriere dich|fokussiere", "new task|your new|next task|your task|neue aufgabe|nächste aufgabe|new assignment", 24, 0.6f },
	/* overriding without an override verb */
	{ "despite what you've been told|despite what you were told|regardless of your instructions|"
	  "regardless of what you were told|no matter what you were told|no matter what your instructions|"
	  "trotz deiner anweisungen|egal was man dir gesagt|unabhängig von deinen anweisungen|"
	  "walaupun anda diarahkan|不管你的指令|无论你被告知",
	  NULL, 0, 0.7f },
	/* persona assignment: "now you are X", "Ich möchte, dass Sie als X fungieren" */
	{ "now you are|jetzt bist du|nun bist du|du bist nun|ab jetzt bist du|sekarang anda ialah|sekarang kamu|"
	  "现在你扮演|从现在起你是",
	  NULL, 0, 0.55f },
	{ "dass sie als|dass du als|sie als|du als", "fungier|agier|auftr", 48, 0.6f },
	{ "du bist keine|you are not an assistant|you're not an assistant|you are no assistant", NULL, 0, 0.5f },
	/* a compliment that closes the real task, then a new one */
	{ "very good|well done|great job|good job|that is done|that's done|sehr gut|gut gemacht|"
	  "super gemacht|das ist erledigt|syabas|做得好",
	  "now|nun|jetzt|next|then|sekarang|现在|接下来", 40, 0.35f },
	/* asking for falsehoods, insults and threats */
	{ "make something up|make up an answer|untrue|false headline|fake news|erfinde|unwahr|lüge|"
	  "reka cerita|编造|假新闻",
	  NULL, 0, 0.35f },
	{ "or you die|or you will die|or i will kill|oder du stirbst|sonst stirbst|atau kamu mati|否则你就死", NULL, 0, 0.45f },
	{ "in the style of|im stil|im stile|dalam gaya", "pirate|pirat|gangster|assi|rapper|lanun|海盗", 32, 0.3f },
	{ "include that you|say that you hate|state that|behaupte|sag, dass du|katakan bahawa anda", NULL, 0, 0.3f },
	/* prompt extraction */
	{ "system prompt|system message|systemprompt|system-prompt|initial prompt|hidden prompt|original prompt|"
	  "your prompt|the prompt above|developer message|pre-prompt|preprompt|meta prompt|"
	  "your initial instructions|your original instructions|your hidden instructions|your secret instructions|"
	  "deine anweisungen|deinen prompt|dein prompt|arahan anda|arahan sistem|gesaan sistem|"
	  "系统提示|提示词|系统消息|你的指令|你的设定|你的规则",
	  NULL, 0, 0.7f },
	{ "reveal|show|print|repeat|output|display|tell me|what are|what were|leak|dump|spell out|copy|"
	  "zeig|wiederhol|gib|verrat|tunjuk|dedahkan|ulang|显示|告诉我|输出|重复|泄露",
	  "prompt|your instruction|the instruction you|system|your configuration|secret instruction|secret key|password|"
	  "api key|hidden|initial|confidential|deine anweisung|arahan anda|rahsia|指令|提示|密码|秘密|配置",
	  24, 0.45f },
	{ "everything above|text above|words above|all the text|the text before|alles oben|alles davor|"
	  "semua di atas|上面的内容|以上内容|上面所有",
	  NULL, 0, 0.45f },
	/* role-play and persona switches */
	{ "you are now|you're now|from now on you|you will now|you are no longer|you're no longer|"
	  "pretend to be|pretend you|pretend that you|imagine you are|imagine that you are|roleplay|role-play|"
	  "role play|play the role|take on the role|assume the role|i want you to act|act as if|"
	  "behave as|simulate a|you will act|du bist jetzt|du bist nun|tu so als|stell dir vor du|spiel die rolle|"
	  "anda kini|kamu sekarang|berlakon sebagai|berpura-pura|anggap anda|"
	  "现在你是|你现在是|扮演|假装你|假设你是|你不再是",
	  NULL, 0, 0.55f },
	{ "act as|acting as|as an ai without|as a language model without", "a|an|my|the|if", 4, 0.2f },
	{ "dan mode|do anything now|jailbreak|jailbroken|developer mode|god mode|dev mode|unfiltered|uncensored|"
	  "unrestricted ai|no restrictions|without restrictions|without any restrictions|"
	  "without filters|without censorship|evil ai|evil assistant|opposite mode|"
	  "ohne einschränkung|ohne regeln|ohne filter|tanpa sekatan|越狱",
	  NULL, 0, 0.7f },
	/* authority claims */
	{ "i am your developer|i'm your developer|i am your creator|i'm your creator|i am your administrator|"
	  "i'm your administrator|i am your admin|i'm your admin|as your developer|as your creator|"
	  "as an administrator|as the administrator|admin mode|administrator mode|maintenance mode|debug mode|"
	  "sudo|root access|override code|authorization code|ich bin dein entwickler|ich bin der admin|"
	  "saya pentadbir|saya pembangun|我是开发者|我是管理员|管理员模式|调试模式|开发者模式",
	  NULL, 0, 0.6f },
	/* hijack markers */
	{ "pwned|pwnd|hacked|i have been|ich wurde", "pwned|pwnd|hacked|gehackt", 20, 0.5f },
	{ "pwned|pwnd", NULL, 0, 0.6f },
	{ "say|print|write|output|respond with|reply with|antworte mit|sag|schreib|tulis|katakan",
	  "\"|'|“|„|«", 12, 0.15f },
	/* data exfiltration and code */
	{ "all customer|all user|other customer|every customer|all the customer|customer database|user database|"
	  "semua pelanggan|pelanggan lain|alle kunden|所有客户|其他客户|所有用户",
	  "data|record|detail|email|e-mail|phone|address|order|list|maklumat|daten|资料|数据|信息|订单",
	  24, 0.35f },
	{ "drop table|select * from|union select|; --|' or '1'='1|or 1=1|<script|javascript:|rm -rf|exec(|eval(",
	  NULL, 0, 0.6f },
	{ "api key|api-key|secret key|access token|credentials|passwords|password of|admin password",
	  NULL, 0, 0.35f },
	/* encoding tricks */
	{ "base64|rot13|rot-13|hex-encoded|hex encoded|decode this|decode the following|decode and|"
	  "dekodiere|nyahkod|解码",
	  NULL, 0, 0.4f },
	{ "translate|übersetze|terjemah|翻译", "and then follow|and follow|and execute|and do|und befolge|und führe|"
	  "dan ikut|并执行|然后执行",
	  60, 0.5f },
};

/* Chat-markup and delimiter tricks, matched case-insensitively on the raw
 * text (their punctuation is what gives them away). */
static const char *const markers[] = {
	"<|im_start|>", "<|im_end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|endoftext|>", "[inst]",
	"[/inst]", "<<sys>>", "<</sys>>", "### instruction", "### system", "###instruction", "### new",
	"</system>", "<system>", "[system]", "{system}", "```system", "begin system", "end of prompt",
	"end of instructions", "end of system", "</instructions>", "<instructions>", "system override",
	"\nsystem:", "\nassistant:", "\nuser:", "--- system", "=== system", "[admin]", "</prompt>",
	"<prompt>", "<|", "|>",
};

static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Lower-case ASCII, fold full-width ASCII (U+FF01..U+FF5E), drop
 * zero-width characters and soft hyphens, map every other ASCII
 * non-alphanumeric except ' * ; = " to a space, collapse spaces. The result
 * starts with a space so " word" finds a word start. */
static size_t normalize(const char *in, size_t len, char *out, size_t outlen, int *zero_width)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	out[o++] = ' ';
	for (size_t i = 0; i < len && o + 4 < outlen;) {
		unsigned char c = p[i];
		if (c == 0xE2 && i + 2 < len && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0x8B || p[i + 2] == 0x8C || p[i + 2] == 0x8D || p[i + 2] == 0x8E || p[i + 2] == 0x8F)) {
			*zero_width = 1; /* U+200B..U+200F */
			i += 3;
			continue;
		}
		if (c == 0xEF && i + 2 < len && p[i + 1] == 0xBB && p[i + 2] == 0xBF) { /* U+FEFF */
			*zero_width = 1;
			i += 3;
			continue;
		}
		if (c == 0xC2 && i + 1 < len && p[i + 1] == 0xAD) { /* soft hyphen */
			*zero_width = 1;
			i += 2;
			continue;
		}
		if (c == 0xEF && i + 2 < len && (p[i + 1] == 0xBC || p[i + 1] == 0xBD)) {
			unsigned cp = 0xFF00u + ((p[i + 1] & 0x3u) << 6) + (p[i + 2] & 0x3Fu);
			if (cp >= 0xFF01 && cp <= 0xFF5E) {
				c = (unsigned char)(cp - 0xFF01 + 0x21);
				i += 3;
				goto ascii;
			}
		}
		if (c >= 0x80) {
			out[o++] = (char)c;
			i++;
			continue;
		}
		i++;
	ascii:
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' || c == '*' || c == ';' ||
		      c == '=' || c == '"' || c == '-' || c == '(' || c == '<'))
			c = ' ';
		if (c == ' ' && out[o - 1] == ' ')
			continue;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

/* Undo leetspeak and join runs of single letters ("i g n o r e"). */
static size_t deobfuscate(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = in;
	while (*p && o + 2 < outlen) {
		/* a run of >= 4 one-letter words becomes one word */
		const char *q = p;
		int singles = 0;
		while (q[0] == ' ' && q[1] && q[1] != ' ' && (q[2] == ' ' || !q[2]) && (unsigned char)q[1] < 0x80) {
			singles++;
			q += 2;
		}
		if (singles >= 4) {
			out[o++] = ' ';
			for (const char *r = p; r < q && o + 2 < outlen; r += 2)
				out[o++] = r[1];
			p = q;
			continue;
		}
		char c = *p++;
		switch (c) {
		case '0': c = 'o'; break;
		case '1': c = 'i'; break;
		case '3': c = 'e'; break;
		case '4': c = 'a'; break;
		case '5': c = 's'; break;
		case '7': c = 't'; break;
		case '@': c = 'a'; break;
		case '$': c = 's'; break;
		default: break;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

/* Where alternative alt (length n) first matches in s at or after from
 * and before limit (a start offset bound), or -1. */
static long find_alt(const char *s, size_t slen, const char *alt, size_t n, size_t from, size_t limit)
{
	int ascii = 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)alt[i] >= 0x80)
			ascii = 0;
	if (n > slen)
		return -1;
	size_t last = slen - n < limit ? slen - n : limit; /* the last start offset allowed */
	for (size_t i = from; i <= last; i++) {
		/* jump to the next place the first byte occurs */
		const char *p = memchr(s + i, alt[0], last - i + 1);
		if (!p)
			return -1;
		i = (size_t)(p - s);
		if (memcmp(s + i, alt, n))
			continue;
		if (ascii && i > 0 && is_word((unsigned char)s[i - 1]) && is_word((unsigned char)alt[0]))
			continue;
		return (long)i;
	}
	return -1;
}

/* First match of any alternative of alts in s[from, limit]; *end gets the
 * end offset. -1 when none. */
static long find_any(const char *s, size_t slen, const char *alts, size_t from, size_t limit, size_t *end)
{
	long best = -1;
	size_t best_end = 0;
	for (const char *a = alts; *a;) {
		const char *bar = strchr(a, '|');
		size_t n = bar ? (size_t)(bar - a) : strlen(a);
		if (n) {
			long at = find_alt(s, slen, a, n, from, best >= 0 ? (size_t)best : limit);
			if (at >= 0 && (best < 0 || at < best)) {
				best = at;
				best_end = (size_t)at + n;
			}
		}
		a += n + (bar ? 1 : 0);
		if (!bar)
			break;
	}
	if (best >= 0)
		*end = best_end;
	return best;
}

static int rule_hits(const struct rule *r, const char *s, size_t slen)
{
	size_t from = 0, end;
	for (int tries = 0; tries < 16; tries++) {
		long at = find_any(s, slen, r->a, from, slen, &end);
		if (at < 0)
			return 0;
		if (!r->b)
			return 1;
		size_t bend;
		if (find_any(s, slen, r->b, end, end + (size_t)r->window, &bend) >= 0)
			return 1;
		from = (size_t)at + 1;
	}
	return 0;
}

/* 1 - prod(1 - w) over the rules that fire on s. */
static float score_norm(const char *s, size_t slen)
{
	float keep = 1.0f;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rule_hits(&rules[i], s, slen))
			keep *= 1.0f - rules[i].w;
	return 1.0f - keep;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '/' || c == '-' || c == '_')
		return c == '+' || c == '-' ? 62 : 63;
	return -1;
}

/* The best score of any base64-looking run (>= 16 characters, mixed case
 * or digits) decoded to mostly printable text; *seen set when such a run
 * exists. */
static float score_base64(const char *text, size_t len, int depth, int *seen)
{
	float best = 0.0f;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		int up = 0, lo = 0, dig = 0;
		while (j < len && b64val((unsigned char)text[j]) >= 0) {
			unsigned char c = (unsigned char)text[j];
			up |= c >= 'A' && c <= 'Z';
			lo |= c >= 'a' && c <= 'z';
			dig |= c >= '0' && c <= '9';
			j++;
		}
		size_t run = j - i;
		if (run >= 16 && up && lo && (dig || run >= 24)) {
			unsigned char dec[GUARD_INJECTION_MAX_TEXT];
			size_t dn = 0, printable = 0;
			unsigned acc = 0;
			int bits = 0;
			for (size_t k = i; k < j && dn < sizeof(dec); k++) {
				acc = (acc << 6) | (unsigned)b64val((unsigned char)text[k]);
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					dec[dn++] = (unsigned char)(acc >> bits);
					acc &= (1u << bits) - 1;
				}
			}
			for (size_t k = 0; k < dn; k++)
				printable += (dec[k] >= 0x20 && dec[k] < 0x7F) || dec[k] >= 0x80 || dec[k] == '\n';
			if (dn && printable * 10 >= dn * 9) {
				*seen = 1;
				float s = depth < 1 ? guard_injection_rules((const char *)dec, dn) : 0.0f;
				if (s > best)
					best = s;
			}
		}
		i = j > i ? j : i + 1;
	}
	return best;
}

static float rules_depth(const char *text, size_t len, int depth)
{
	if (len > GUARD_INJECTION_MAX_TEXT)
		len = GUARD_INJECTION_MAX_TEXT;
	char norm[NORM_MAX], deob[NORM_MAX];
	int zw = 0;
	size_t n = normalize(text, len, norm, sizeof(norm), &zw);
	float s = score_norm(norm, n);
	size_t dn = deobfuscate(norm, deob, sizeof(deob));
	float s2 = score_norm(deob, dn);
	if (s2 > s)
		s = s2 + (1.0f - s2) * 0.2f; /* hiding it is evidence too */
	/* markers on the raw text, case-folded, newlines kept */
	char low[NORM_MAX];
	size_t ln = 0;
	low[ln++] = '\n';
	for (size_t i = 0; i < len && ln + 1 < sizeof(low); i++) {
		unsigned char c = (unsigned char)text[i];
		low[ln++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	low[ln] = '\0';
	float keep = 1.0f - s;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strstr(low, markers[i])) {
			keep *= 0.35f;
			break;
		}
	if (zw)
		keep *= 0.8f;
	int seen = 0;
	float b = score_base64(text, len, depth, &seen);
	if (seen)
		keep *= 0.7f;
	if (b > 0)
		keep *= 1.0f - b;
	return 1.0f - keep;
}

float guard_injection_rules(const char *text, size_t len)
{
	return rules_depth(text, len, 0);
}

float guard_injection_model(const struct icm *model, const char *text)
{
	if (!model)
		return 0.0f;
	int inj = icm_label_index(model, "injection");
	if (inj < 0 || icm_nlabels(model) != 2)
		return 0.0f;
	float conf = 0.0f;
	int best = icm_predict(model, text, &conf);
	return best == inj ? conf : 1.0f - conf;
}

float guard_injection_score(const struct icm *model, const char *text, size_t len)
{
	float r = guard_injection_rules(text, len);
	float m = 0.0f;
	if (model) {
		char buf[GUARD_INJECTION_MAX_TEXT + 1];
		size_t n = len < GUARD_INJECTION_MAX_TEXT ? len : GUARD_INJECTION_MAX_TEXT;
		memcpy(buf, text, n);
		buf[n] = '\0';
		m = guard_injection_model(model, buf);
	}
	float s = 1.0f - (1.0f - r) * (1.0f - m);
	return s < 0.0f ? 0.0f : s > 1.0f ? 1.0f : s;
}

int guard_injection_filter(const struct icm *model, float threshold, FILE *in, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		float s = guard_injection_score(model, line, (size_t)n);
		if (fprintf(out, "%.4f\t%d\n", s, s > threshold) < 0) {
			free(line);
			return -1;
		}
	}
	free(line);
	return fflush(out) ? -1 : 0;
}
