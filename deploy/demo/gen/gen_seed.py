#!/usr/bin/env python3
"""Generate deploy/demo/seed.sql: demo data for "Halia Living", a fictional
Malaysian home-and-lifestyle retailer. Python 3 standard library only and a
fixed random seed, so the output is byte-identical on every run.

    python3 deploy/demo/gen/gen_seed.py > deploy/demo/seed.sql

The SQL output is committed; nothing runs this at `make run` time.
Every INSERT is `ON CONFLICT DO NOTHING`, so applying the seed twice is a no-op
and never overwrites rows the services have changed since.
"""
import json
import random
from datetime import datetime, timedelta, timezone

SEED = 20261122
rng = random.Random(SEED)
MYT = timezone(timedelta(hours=8))
TODAY = datetime(2026, 11, 22, 12, 0, tzinfo=MYT)   # the fixed "now" of the demo
FEED_TS = "2026-11-01 00:00:00+08"                   # event_ts of seeded prices/stock

# ------------------------------------------------------------------ helpers

def q(v):
    """SQL literal."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, datetime):
        return "'" + v.strftime("%Y-%m-%d %H:%M:%S+08") + "'"
    if isinstance(v, (list, tuple)):
        return "ARRAY[" + ",".join(q(x) for x in v) + "]::text[]" if v else "'{}'::text[]"
    if isinstance(v, dict) or isinstance(v, Jsonb):
        s = json.dumps(v.v if isinstance(v, Jsonb) else v, ensure_ascii=False, sort_keys=True)
        return "'" + s.replace("'", "''") + "'::jsonb"
    return "'" + str(v).replace("'", "''") + "'"


class Jsonb:
    def __init__(self, v):
        self.v = v


def insert(table, cols, rows, out):
    out.append(f"-- {table}: {len(rows)} rows")
    for i in range(0, len(rows), 50):
        chunk = rows[i:i + 50]
        out.append(f"INSERT INTO {table} ({', '.join(cols)}) VALUES")
        out.append(",\n".join("  (" + ", ".join(q(v) for v in r) + ")" for r in chunk))
        out.append("ON CONFLICT DO NOTHING;")
    out.append("")


def sen(rm):
    return int(round(rm * 100))

# ------------------------------------------------------------------ stores

def hours(open_, close, sun=None, fri=None):
    d = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        o, c = open_, close
        if day == "sun" and sun:
            o, c = sun
        if day == "fri" and fri:
            o, c = fri
        d[day] = {"open": o, "close": c}
    return d

STORES = [
    # store_id, name, city, state, address, postcode, phone, hours, services
    ("KL-MVM", "Halia Living Mid Valley", "Kuala Lumpur", "W.P. Kuala Lumpur",
     "Lot S-041, Level 2, Mid Valley Megamall, Lingkaran Syed Putra", "59200",
     "+60 3-0000 1101", hours("10:00", "22:00"),
     ["click_collect", "returns_counter", "assembly_booking", "design_consultation"]),
    ("SEL-SWP", "Halia Living Sunway Pyramid", "Petaling Jaya", "Selangor",
     "Lot LG2-18, Lower Ground 2, Sunway Pyramid, Jalan PJS 11/15, Bandar Sunway", "47500",
     "+60 3-0000 1102", hours("10:00", "22:00"),
     ["click_collect", "returns_counter", "assembly_booking"]),
    ("PNG-GUR", "Halia Living Penang Gurney", "George Town", "Pulau Pinang",
     "Lot 3-22, Level 3, Gurney Plaza, Persiaran Gurney", "10250",
     "+60 4-000 1103", hours("10:00", "22:00", sun=("10:00", "21:00")),
     ["click_collect", "returns_counter", "assembly_booking"]),
    ("JHR-JB", "Halia Living Johor Bahru", "Johor Bahru", "Johor",
     "No. 8, Jalan Harmoni 3/2, Taman Harmoni Perdana", "81100",
     "+60 7-000 1104", hours("10:00", "21:00", sun=("10:00", "18:00")),
     ["click_collect", "returns_counter", "warehouse_pickup"]),
    ("PJY-IOI", "Halia Living IOI City Putrajaya", "Putrajaya", "W.P. Putrajaya",
     "Lot G-57, Ground Floor, IOI City Mall, Lebuh IRC, IOI Resort City", "62502",
     "+60 3-0000 1105", hours("10:00", "22:00"),
     ["click_collect", "returns_counter", "assembly_booking", "kids_play_corner"]),
]
STORE_IDS = [s[0] for s in STORES]

# ------------------------------------------------------------------ catalogue
# category slug, SKU code, item types: (en, ms, zh, price range RM, materials,
# (w, d, h) base cm, warranty years, bulky)
CATEGORIES = [
    ("sofas", "SOFA", [
        ("3-Seater Fabric Sofa", "Sofa Fabrik 3 Tempat Duduk", "三人布艺沙发", (1299, 2899), ["polyester fabric", "linen blend"], (210, 90, 85), 2, True),
        ("2-Seater Sofa", "Sofa 2 Tempat Duduk", "双人沙发", (899, 1899), ["polyester fabric", "velvet"], (160, 88, 84), 2, True),
        ("L-Shaped Sectional Sofa", "Sofa Seksyen Bentuk L", "L型组合沙发", (2499, 4999), ["polyester fabric", "performance fabric"], (280, 160, 86), 2, True),
        ("Leather Recliner Armchair", "Kerusi Malas Kulit", "真皮躺椅", (1199, 2499), ["top-grain leather", "PU leather"], (85, 92, 100), 2, True),
        ("Sofa Bed", "Sofa Katil", "沙发床", (999, 1999), ["polyester fabric"], (195, 95, 85), 2, True),
        ("Accent Armchair", "Kerusi Lengan Aksen", "单人扶手椅", (499, 1099), ["boucle", "velvet", "rattan and fabric"], (75, 80, 78), 2, True),
    ]),
    ("beds-mattresses", "BED", [
        ("Queen Bed Frame", "Rangka Katil Queen", "双人床架（Queen）", (899, 2299), ["solid rubberwood", "engineered oak veneer"], (160, 210, 100), 2, True),
        ("King Bed Frame", "Rangka Katil King", "特大床架（King）", (1199, 2999), ["solid rubberwood", "upholstered fabric"], (190, 215, 110), 2, True),
        ("Single Storage Bed", "Katil Bujang Berlaci", "单人储物床", (599, 1199), ["engineered wood"], (100, 200, 90), 2, True),
        ("Pocket Spring Mattress, Queen", "Tilam Spring Poket, Queen", "独立弹簧床垫（Queen）", (1299, 3499), ["pocket springs and latex"], (152, 190, 28), 10, True),
        ("Memory Foam Mattress, Single", "Tilam Busa Memori, Bujang", "记忆棉床垫（单人）", (499, 1299), ["memory foam"], (91, 190, 22), 5, True),
        ("Latex Mattress Topper", "Pelapik Tilam Lateks", "乳胶床垫褥", (299, 799), ["natural latex"], (152, 190, 5), 2, False),
    ]),
    ("tables", "TBL", [
        ("6-Seater Dining Table", "Meja Makan 6 Tempat Duduk", "六人餐桌", (899, 2499), ["solid acacia", "sintered stone", "rubberwood"], (180, 90, 75), 2, True),
        ("4-Seater Dining Table", "Meja Makan 4 Tempat Duduk", "四人餐桌", (499, 1299), ["rubberwood", "oak veneer"], (120, 75, 75), 2, True),
        ("Coffee Table", "Meja Kopi", "茶几", (199, 899), ["tempered glass and steel", "walnut veneer", "marble-look top"], (110, 60, 42), 2, True),
        ("Side Table", "Meja Sisi", "边几", (89, 349), ["steel", "rattan", "mango wood"], (45, 45, 55), 2, False),
        ("Study Desk", "Meja Belajar", "书桌", (249, 799), ["engineered wood", "steel and oak veneer"], (120, 60, 75), 2, True),
        ("Height-Adjustable Desk", "Meja Boleh Laras Ketinggian", "升降书桌", (999, 1999), ["steel frame, bamboo top"], (140, 70, 120), 5, True),
    ]),
    ("chairs", "CHR", [
        ("Dining Chair", "Kerusi Makan", "餐椅", (129, 399), ["rubberwood", "rattan", "PP plastic"], (45, 52, 82), 2, False),
        ("Ergonomic Office Chair", "Kerusi Pejabat Ergonomik", "人体工学办公椅", (399, 1299), ["mesh and nylon"], (65, 65, 115), 3, False),
        ("Bar Stool", "Bangku Bar", "吧台凳", (149, 399), ["steel and PU leather", "solid wood"], (40, 40, 75), 2, False),
        ("Lounge Chair", "Kerusi Santai", "休闲椅", (349, 999), ["rattan", "bent plywood"], (70, 78, 80), 2, True),
        ("Folding Chair", "Kerusi Lipat", "折叠椅", (49, 129), ["steel", "beech wood"], (44, 48, 80), 1, False),
        ("Bench", "Bangku Panjang", "长凳", (199, 599), ["solid acacia", "upholstered fabric"], (120, 35, 45), 2, False),
    ]),
    ("storage", "STOR", [
        ("2-Door Wardrobe", "Almari Pakaian 2 Pintu", "双门衣柜", (599, 1499), ["engineered wood", "oak veneer"], (100, 58, 200), 2, True),
        ("Sliding Door Wardrobe", "Almari Pintu Gelangsar", "推拉门衣柜", (1299, 2999), ["engineered wood with mirror"], (180, 60, 220), 2, True),
        ("5-Tier Bookshelf", "Rak Buku 5 Tingkat", "五层书架", (149, 499), ["engineered wood", "steel and pine"], (80, 30, 180), 2, False),
        ("Chest of Drawers", "Almari Laci", "抽屉柜", (299, 899), ["engineered wood", "rubberwood"], (80, 45, 100), 2, True),
        ("TV Console", "Kabinet TV", "电视柜", (299, 1199), ["walnut veneer", "engineered wood"], (180, 40, 50), 2, True),
        ("Shoe Cabinet", "Kabinet Kasut", "鞋柜", (149, 499), ["engineered wood"], (80, 30, 100), 2, False),
        ("Storage Box Set of 3", "Set Kotak Simpanan 3 Unit", "收纳箱三件套", (29.9, 89.9), ["PP plastic", "seagrass"], (40, 30, 25), 0, False),
    ]),
    ("lighting", "LGT", [
        ("Pendant Lamp", "Lampu Gantung", "吊灯", (129, 599), ["rattan", "opal glass", "metal"], (40, 40, 35), 1, False),
        ("Floor Lamp", "Lampu Lantai", "落地灯", (149, 499), ["steel and linen shade"], (40, 40, 160), 1, False),
        ("Table Lamp", "Lampu Meja", "台灯", (59, 249), ["ceramic", "glass", "brass"], (25, 25, 45), 1, False),
        ("LED Ceiling Light", "Lampu Siling LED", "LED吸顶灯", (99, 399), ["acrylic and aluminium"], (50, 50, 8), 2, False),
        ("Solar Garden Light Set", "Set Lampu Taman Solar", "太阳能庭院灯组", (39.9, 129), ["ABS plastic"], (10, 10, 40), 1, False),
        ("LED Desk Lamp", "Lampu Meja LED", "LED护眼台灯", (69, 199), ["aluminium"], (18, 18, 42), 1, False),
    ]),
    ("kitchen-dining", "KIT", [
        ("Stoneware Dinner Set, 16 pcs", "Set Pinggan Mangkuk Stoneware, 16 keping", "陶瓷餐具套装（16件）", (99, 299), ["stoneware"], (30, 30, 30), 0, False),
        ("Non-Stick Wok 32 cm", "Kuali Tidak Melekat 32 cm", "不粘炒锅 32厘米", (59, 189), ["aluminium with non-stick coating"], (32, 32, 10), 2, False),
        ("Stainless Steel Cookware Set", "Set Periuk Keluli Tahan Karat", "不锈钢锅具套装", (199, 599), ["stainless steel 18/10"], (40, 30, 25), 5, False),
        ("Glass Food Container Set", "Set Bekas Makanan Kaca", "玻璃保鲜盒套装", (39.9, 99), ["borosilicate glass"], (20, 15, 8), 0, False),
        ("Chopping Board", "Papan Pemotong", "砧板", (19.9, 79), ["acacia wood", "bamboo"], (40, 28, 2), 0, False),
        ("Cutlery Set, 24 pcs", "Set Sudu Garpu, 24 keping", "餐具套装（24件）", (49, 159), ["stainless steel"], (25, 20, 5), 1, False),
        ("Tumbler 600 ml", "Tumbler 600 ml", "保温杯 600毫升", (29.9, 69), ["double-wall stainless steel"], (8, 8, 22), 1, False),
    ]),
    ("textiles", "TEX", [
        ("Cotton Bedsheet Set, Queen", "Set Cadar Kapas, Queen", "纯棉床单套装（Queen）", (89, 299), ["cotton 400 thread count", "cotton percale"], (152, 190, 30), 0, False),
        ("Microfibre Quilt", "Selimut Tebal Mikrofiber", "超细纤维被", (69, 199), ["microfibre"], (210, 210, 2), 0, False),
        ("Bath Towel", "Tuala Mandi", "浴巾", (19.9, 59), ["cotton terry", "bamboo-cotton"], (70, 140, 1), 0, False),
        ("Pillow", "Bantal", "枕头", (29.9, 149), ["hollow fibre", "latex", "memory foam"], (48, 74, 15), 0, False),
        ("Blackout Curtain Pair", "Langsir Blackout Sepasang", "遮光窗帘（一对）", (79, 259), ["polyester"], (140, 250, 1), 0, False),
        ("Cushion Cover", "Sarung Kusyen", "抱枕套", (19.9, 49), ["cotton", "velvet", "batik cotton"], (45, 45, 1), 0, False),
        ("Bath Mat", "Alas Kaki Bilik Air", "浴室地垫", (19.9, 59), ["cotton", "diatomite"], (40, 60, 1), 0, False),
    ]),
    ("decor", "DEC", [
        ("Wall Mirror", "Cermin Dinding", "挂墙镜", (99, 499), ["metal frame", "rattan frame"], (60, 3, 90), 1, False),
        ("Ceramic Vase", "Pasu Seramik", "陶瓷花瓶", (29.9, 149), ["ceramic"], (15, 15, 30), 0, False),
        ("Artificial Plant in Pot", "Pokok Tiruan Berpasu", "仿真盆栽", (39.9, 299), ["PE plastic and cement pot"], (30, 30, 120), 0, False),
        ("Framed Art Print", "Cetakan Seni Berbingkai", "装饰画（带框）", (59, 299), ["paper print, pine frame"], (50, 3, 70), 0, False),
        ("Woven Rug 160x230", "Permaidani Tenun 160x230", "编织地毯 160x230", (199, 899), ["jute", "polypropylene", "wool blend"], (160, 230, 1), 0, False),
        ("Wall Clock", "Jam Dinding", "挂钟", (39.9, 159), ["wood", "metal"], (35, 5, 35), 1, False),
        ("Scented Candle", "Lilin Wangi", "香薰蜡烛", (19.9, 69), ["soy wax"], (8, 8, 10), 0, False),
    ]),
    ("outdoor", "OUT", [
        ("Outdoor Dining Set, 4 Seats", "Set Makan Luar, 4 Tempat Duduk", "户外餐桌椅套装（四座）", (999, 2999), ["aluminium and teak", "PE rattan"], (140, 80, 74), 1, True),
        ("Sun Lounger", "Kerusi Berjemur", "日光躺椅", (399, 1199), ["aluminium and textilene", "acacia"], (195, 65, 35), 1, True),
        ("Patio Umbrella 2.7 m", "Payung Patio 2.7 m", "庭院遮阳伞 2.7米", (199, 699), ["aluminium and polyester"], (270, 270, 250), 1, False),
        ("Balcony Bistro Set", "Set Bistro Balkoni", "阳台小桌椅套装", (299, 799), ["steel", "acacia"], (60, 60, 72), 1, False),
        ("Planter Box", "Kotak Tanaman", "种植箱", (49, 249), ["fibreglass", "teak"], (60, 30, 40), 1, False),
        ("Outdoor Storage Bench", "Bangku Simpanan Luar", "户外储物长凳", (349, 899), ["resin", "acacia"], (120, 55, 60), 1, True),
    ]),
    ("kids", "KID", [
        ("Kids Bunk Bed", "Katil Dua Tingkat Kanak-kanak", "儿童双层床", (999, 2199), ["solid pine", "steel"], (100, 200, 160), 2, True),
        ("Kids Study Table and Chair Set", "Set Meja dan Kerusi Belajar Kanak-kanak", "儿童学习桌椅套装", (199, 599), ["engineered wood", "PP plastic"], (80, 55, 60), 2, False),
        ("Toy Storage Organiser", "Rak Simpanan Mainan", "玩具收纳架", (99, 299), ["pine and fabric bins"], (90, 30, 80), 1, False),
        ("Baby Cot", "Katil Bayi", "婴儿床", (499, 1299), ["solid beech", "rubberwood"], (65, 125, 90), 2, True),
        ("Kids Bean Bag", "Bean Bag Kanak-kanak", "儿童懒人沙发", (79, 199), ["cotton canvas"], (60, 60, 55), 0, False),
        ("Children's Bedding Set, Single", "Set Cadar Kanak-kanak, Bujang", "儿童床品套装（单人）", (69, 159), ["cotton"], (91, 190, 20), 0, False),
    ]),
]

SERIES = ["Langkawi", "Cameron", "Tioman", "Redang", "Selangor", "Kinabalu", "Melaka", "Perhentian",
          "Pangkor", "Rawa", "Kapas", "Bukit", "Santubong", "Desaru", "Gemas", "Tasik", "Serene", "Bayu",
          "Teduh", "Damai", "Sepang", "Ipoh", "Kuching", "Seri", "Lembah"]
COLOURS = [  # en, ms, zh
    ("Natural Oak", "Oak Asli", "原木色"), ("Walnut", "Walnut", "胡桃木色"), ("Charcoal Grey", "Kelabu Arang", "炭灰色"),
    ("Sage Green", "Hijau Sage", "鼠尾草绿"), ("Ivory", "Gading", "象牙白"), ("Terracotta", "Terakota", "陶土色"),
    ("Navy Blue", "Biru Laut", "藏青色"), ("Sand Beige", "Kuning Pasir", "沙米色"), ("Black", "Hitam", "黑色"),
    ("White", "Putih", "白色"), ("Mustard", "Kuning Mustard", "芥末黄"), ("Dusty Pink", "Merah Jambu Lembut", "灰粉色"),
]
CAT_NAMES = {"sofas": "Sofas", "beds-mattresses": "Beds & Mattresses", "tables": "Tables", "chairs": "Chairs",
             "storage": "Storage", "lighting": "Lighting", "kitchen-dining": "Kitchen & Dining",
             "textiles": "Bedding & Bath Textiles", "decor": "Decor", "outdoor": "Outdoor", "kids": "Kids"}
PER_CATEGORY = {"sofas": 19, "beds-mattresses": 20, "tables": 18, "chairs": 18, "storage": 19, "lighting": 17,
                "kitchen-dining": 18, "textiles": 19, "decor": 18, "outdoor": 16, "kids": 18}   # = 200


def nice_price(lo, hi):
    """RM price ending in .90 or 9 (e.g. 49.90, 1299.00) between lo and hi."""
    p = rng.uniform(lo, hi)
    if p < 100:
        return round(int(p) + 0.9, 2)
    if p < 1000:
        return float(int(p / 10) * 10 + 9)
    return float(int(p / 100) * 100 + 99)


products, prices, inventory = [], [], []
PRODUCT_INFO = {}   # sku -> (price_sen, bulky, category)
for slug, code, types in CATEGORIES:
    n = PER_CATEGORY[slug]
    combos = set()
    num = rng.randint(1, 9)
    i = 0
    while i < n:
        t = types[i % len(types)]
        series = rng.choice(SERIES)
        colour = rng.choice(COLOURS)
        if (t[0], series) in combos:
            continue
        combos.add((t[0], series))
        en, ms, zh, (lo, hi), materials, (w, d, h), warranty, bulky = t
        sku = f"HL-{code}-{num:04d}"
        num += rng.randint(1, 4)
        material = rng.choice(materials)
        name = f"{series} {en}, {colour[0]}"
        # Malay/Chinese names for most products (about 85% / 75%).
        name_ms = f"{ms} {series}, {colour[1]}" if rng.random() < 0.85 else None
        name_zh = f"{series} {zh}（{colour[2]}）" if rng.random() < 0.75 else None
        price = min(max(nice_price(lo, hi), 9.9), 4999.0)
        # Anchor the price range of the catalogue: RM 9.90 .. RM 4,999.00.
        if en == "Scented Candle" and "anchor_low" not in PRODUCT_INFO:
            price, PRODUCT_INFO["anchor_low"] = 9.9, None
        if en == "L-Shaped Sectional Sofa" and "anchor_high" not in PRODUCT_INFO:
            price, PRODUCT_INFO["anchor_high"] = 4999.0, None
        scale = rng.choice([0.9, 1.0, 1.0, 1.1])
        dims = {"w": int(w * scale), "d": d, "h": h}
        attrs = {"colour": colour[0], "material": material, "dimensions_cm": dims,
                 "warranty_years": warranty, "bulky": bulky,
                 "assembly_required": bulky and slug not in ("sofas",) and "Mattress" not in en,
                 "series": series}
        if slug == "beds-mattresses" and "Mattress" in en and "Topper" not in en:
            attrs["firmness"] = rng.choice(["soft", "medium", "medium-firm", "firm"])
        if slug in ("sofas", "chairs", "outdoor") and "Set" not in en:
            attrs["max_load_kg"] = rng.choice([100, 120, 150])
        if slug == "lighting":
            attrs["bulb"] = rng.choice(["E27 LED, 9 W (included)", "integrated LED, 24 W", "E14 LED, 5 W (not included)"])
            attrs["plug"] = "UK 3-pin (Type G), 230 V"
        if slug == "outdoor":
            attrs["weather_resistant"] = True
        active = rng.random() > 0.03
        desc = (f"{en} from the {series} collection in {colour[0].lower()}, made of {material}. "
                f"Approx. {dims['w']} x {dims['d']} x {dims['h']} cm (W x D x H). "
                + (f"{warranty}-year warranty." if warranty else "Covered by our 30-day returns policy.")
                + (" Delivered by Halia Fleet; assembly service available." if bulky else ""))
        created = datetime(2025, 1, 6, 9, 0, tzinfo=MYT) + timedelta(days=rng.randint(0, 600))
        products.append((sku, name, name_ms, name_zh, slug, desc, Jsonb(attrs), active, created, created))
        psen = sen(price)
        prices.append((sku, psen, "MYR", FEED_TS))
        PRODUCT_INFO[sku] = (psen, bulky, slug, active)
        for st in STORE_IDS:
            r = rng.random()
            if r < 0.10:
                qty = 0                              # out of stock here
            elif r < 0.25:
                qty = rng.randint(1, 3)              # low stock
            elif bulky:
                qty = rng.randint(4, 15)
            else:
                qty = rng.randint(8, 60)
            inventory.append((sku, st, qty, FEED_TS))
        i += 1

# A few well-known SKUs for tests: out of stock everywhere / only in one store.
PRODUCT_INFO.pop("anchor_low", None)
PRODUCT_INFO.pop("anchor_high", None)
skus = [p[0] for p in products]
oos_everywhere = skus[5]
only_penang = skus[40]
inventory = [(s, st, 0 if s == oos_everywhere else (q_ if s != only_penang else (2 if st == "PNG-GUR" else 0)), ts)
             for (s, st, q_, ts) in inventory]

# ------------------------------------------------------------------ loyalty
TIERS = [
    ("bronze", 1, 0, "1.00", ["1 point per RM 1 spent", "RM 10 birthday voucher (min. spend RM 100)",
                               "Members-only promotions"]),
    ("silver", 2, 1000, "1.25", ["1.25 points per RM 1 spent", "RM 20 birthday voucher (min. spend RM 150)",
                                  "Early access to sales (24 hours)", "Members-only promotions"]),
    ("gold", 3, 5000, "1.50", ["1.5 points per RM 1 spent", "RM 50 birthday voucher (min. spend RM 300)",
                                "Free standard parcel delivery, no minimum spend",
                                "One free assembly per calendar year", "Early access to sales (48 hours)"]),
    ("platinum", 4, 15000, "2.00", ["2 points per RM 1 spent", "RM 100 birthday voucher (min. spend RM 500)",
                                     "Free standard parcel delivery, no minimum spend",
                                     "Free assembly on every order", "45-day returns (instead of 30)",
                                     "Priority customer-service line", "Early access to sales (48 hours)"]),
]
TIER_MIN = {t[0]: t[2] for t in TIERS}

# ------------------------------------------------------------------ customers
FIRST = [("Aisyah", "Kamal"), ("Wei Ling", "Tan"), ("Arjun", "Pillai"), ("Nurul Izzah", "Rahman"),
         ("Jun Hao", "Lim"), ("Kavitha", "Subramaniam"), ("Farid", "Hakim"), ("Mei Xin", "Ong"),
         ("Daniel", "Lee"), ("Siti Hajar", "Ismail"), ("Ravi", "Chandran"), ("Hui Min", "Chong"),
         ("Amirul", "Azman"), ("Priya", "Nair"), ("Chee Keong", "Wong"), ("Aina", "Zulkifli"),
         ("Jason", "Yap"), ("Deepa", "Krishnan"), ("Hafiz", "Othman"), ("Li Ting", "Goh"),
         ("Marcus", "Teo"), ("Nabila", "Yusof"), ("Suresh", "Muthu"), ("Xin Yi", "Cheah"),
         ("Iskandar", "Salleh"), ("Grace", "Lau"), ("Haziq", "Roslan"), ("Anitha", "Devi"),
         ("Kah Wai", "Ng"), ("Zulaikha", "Hassan"), ("Vincent", "Khoo"), ("Lakshmi", "Rao"),
         ("Syafiq", "Mahmud"), ("Pei Shan", "Loh"), ("Adam", "Rizal"), ("Janet", "Chin"),
         ("Hamzah", "Idris"), ("Shalini", "Ganesan"), ("Kok Leong", "Tey"), ("Balqis", "Noor")]
CITIES = [("Kuala Lumpur", "W.P. Kuala Lumpur", "west"), ("Petaling Jaya", "Selangor", "west"),
          ("Shah Alam", "Selangor", "west"), ("Subang Jaya", "Selangor", "west"), ("Cyberjaya", "Selangor", "west"),
          ("Putrajaya", "W.P. Putrajaya", "west"), ("George Town", "Pulau Pinang", "west"),
          ("Bayan Lepas", "Pulau Pinang", "west"), ("Johor Bahru", "Johor", "west"), ("Iskandar Puteri", "Johor", "west"),
          ("Ipoh", "Perak", "west"), ("Melaka", "Melaka", "west"), ("Seremban", "Negeri Sembilan", "west"),
          ("Kota Kinabalu", "Sabah", "east"), ("Kuching", "Sarawak", "east")]
SERVICE_ZONE_STATES = {"W.P. Kuala Lumpur", "Selangor", "W.P. Putrajaya", "Pulau Pinang", "Johor"}
tier_plan = ["bronze"] * 16 + ["silver"] * 12 + ["gold"] * 8 + ["platinum"] * 4
# Hand-picked tiers for the first customers (documented in deploy/demo/README.md).
for t in ("gold", "silver", "platinum", "bronze"):
    tier_plan.remove(t)
tier_plan = ["gold", "silver", "platinum", "bronze"] + tier_plan
customers = []
CUST_HOME = {}
for i, (first, last) in enumerate(FIRST):
    cid = f"CUST-{1001 + i}"
    tier = tier_plan[i]
    lo = TIER_MIN[tier]
    hi = {"bronze": 999, "silver": 4999, "gold": 14999, "platinum": 32000}[tier]
    points = rng.randint(lo if tier != "bronze" else 0, hi)
    dom = "example.my" if i % 3 else "example.com"
    email = f"{first.lower().replace(' ', '')}.{last.lower()}@{dom}"
    phone = f"+60 1{rng.choice('2367')}-000 {1001 + i:04d}"
    locale = "ms" if last in ("Kamal", "Rahman", "Ismail", "Azman", "Zulkifli", "Othman", "Yusof", "Salleh",
                              "Roslan", "Hassan", "Mahmud", "Idris", "Noor") and i % 2 else \
             "zh" if last in ("Tan", "Lim", "Ong", "Chong", "Wong", "Goh", "Cheah", "Ng", "Loh", "Tey") and i % 2 else "en"
    created = datetime(2023, 3, 1, 10, 0, tzinfo=MYT) + timedelta(days=rng.randint(0, 1200), minutes=rng.randint(0, 600))
    customers.append((cid, f"{first} {last}", email, phone, locale, tier, points, created, created))
    CUST_HOME[cid] = CITIES[0] if i == 0 else rng.choice(CITIES)
CUST_TIER = {c[0]: c[5] for c in customers}
CUST_EMAIL = {c[0]: c[2] for c in customers}

# ------------------------------------------------------------------ orders
STATUS_PLAN = (["delivered"] * 45 + ["shipped"] * 20 + ["packed"] * 12 + ["paid"] * 15
               + ["cancelled"] * 14 + ["returned"] * 14)      # 120
rng.shuffle(STATUS_PLAN)
PARCEL_CARRIERS = ["J&T Express", "Pos Laju", "Ninja Van"]
GUEST_NAMES = ["guest.buyer", "faizal.shop", "yvonne.home", "kumar.deco", "sarah.living", "tan.family",
               "nadia.rumah", "alex.newhome", "mira.reno", "ben.condo"]


def tracking(carrier):
    if carrier == "J&T Express":
        return "JTMY" + "".join(rng.choice("0123456789") for _ in range(10))
    if carrier == "Pos Laju":
        return "ER" + "".join(rng.choice("0123456789") for _ in range(9)) + "MY"
    if carrier == "Ninja Van":
        return "NVMYHL" + "".join(rng.choice("0123456789") for _ in range(9))
    return "HLF-" + "".join(rng.choice("0123456789") for _ in range(6))


def placed_for(status):
    day = timedelta(days=1)
    if status == "paid":
        start, end = TODAY - 2 * day, TODAY - timedelta(hours=1)
    elif status == "packed":
        start, end = TODAY - 4 * day, TODAY - 1 * day
    elif status == "shipped":
        start, end = TODAY - 9 * day, TODAY - 2 * day
    elif status == "returned":
        start, end = datetime(2026, 8, 1, tzinfo=MYT), datetime(2026, 10, 25, tzinfo=MYT)
    else:   # delivered, cancelled
        start, end = datetime(2026, 8, 1, tzinfo=MYT), TODAY - 10 * day
    secs = int((end - start).total_seconds())
    t = start + timedelta(seconds=rng.randint(0, secs))
    if t.hour < 8:     # most people shop in the daytime
        t += timedelta(hours=9)
    return min(t, end)


active_skus = [s for s in skus if PRODUCT_INFO[s][3]]
small_skus = [s for s in active_skus if not PRODUCT_INFO[s][1]]
bulky_skus = [s for s in active_skus if PRODUCT_INFO[s][1]]
customer_ids = [c[0] for c in customers]
raw = []
for status in STATUS_PLAN:
    placed = placed_for(status)
    raw.append((placed, status))
raw.sort()
# Guarantee CUST-1001 (the documented test customer) has one order in each of these states.
fixed_for_1001 = {"delivered", "shipped", "paid", "returned"}

orders, items, returns = [], [], []
order_num = 100101
guest_i = 0
for placed, status in raw:
    order_id = f"ORD-{order_num}"
    order_num += rng.randint(3, 47)
    if status in fixed_for_1001:
        cid = "CUST-1001"
        fixed_for_1001.discard(status)
    elif rng.random() < 0.15:
        cid = None
    else:
        cid = rng.choice(customer_ids)
    if cid:
        email = CUST_EMAIL[cid]
        city, state, region = CUST_HOME[cid]
        tier = CUST_TIER[cid]
    else:
        email = f"{GUEST_NAMES[guest_i % len(GUEST_NAMES)]}{guest_i // len(GUEST_NAMES) or ''}@example.com"
        guest_i += 1
        city, state, region = rng.choice(CITIES)
        tier = None
    # items: 1-4 lines; bulky only in West Malaysia service zones
    n_lines = rng.choice([1, 1, 1, 2, 2, 3, 4])
    pool = small_skus if region == "east" or rng.random() < 0.55 else active_skus
    lines = rng.sample(pool, n_lines)
    subtotal = 0
    line_rows = []
    for ln, sku in enumerate(lines, 1):
        price = PRODUCT_INFO[sku][0]
        qty = 1 if PRODUCT_INFO[sku][1] or price > 30000 else rng.choice([1, 1, 2, 2, 3, 4])
        if rng.random() < 0.1:          # bought during an earlier sale
            price = price * 85 // 100
        line_rows.append((order_id, ln, sku, qty, price))
        subtotal += qty * price
    has_bulky = any(PRODUCT_INFO[s][1] for s in lines)
    # Click & collect for about 10% of small-item orders.
    fulfilment, pickup = "delivery", None
    if not has_bulky and rng.random() < 0.1:
        fulfilment, pickup = "click_collect", rng.choice(STORE_IDS)
    # Delivery fees (deploy/demo/kb/en/delivery-shipping.md).
    if fulfilment == "click_collect":
        fee = 0
    elif has_bulky:
        if state in SERVICE_ZONE_STATES:
            fee = 0 if subtotal >= 200000 or tier == "platinum" else 7900
        else:
            fee = 14900
    elif region == "east":
        fee = 0 if subtotal >= 50000 or tier in ("gold", "platinum") else 2500
    else:
        fee = 0 if subtotal >= 30000 or tier in ("gold", "platinum") else 1500
    discount, code = 0, None
    if rng.random() < 0.12 and subtotal >= 20000:
        discount, code = 2000, "WELCOME20"
    total = subtotal - discount + fee
    if fulfilment == "click_collect":
        pay = rng.choice(["fpx", "card", "ewallet", "in_store"])
    elif not has_bulky and region == "west" and total <= 50000 and rng.random() < 0.15:
        pay = "cod"
    else:
        pay = rng.choice(["fpx", "fpx", "card", "card", "card", "ewallet", "ewallet", "bnpl"])
    if status == "cancelled" and pay == "cod":
        pay = "fpx"
    carrier = tno = shipped_at = delivered_at = None
    if fulfilment == "delivery":
        carrier = "Halia Fleet" if has_bulky else rng.choice(PARCEL_CARRIERS)
    updated = placed + timedelta(minutes=rng.randint(1, 20))
    if status in ("packed", "shipped", "delivered", "returned"):
        updated = placed + timedelta(hours=rng.randint(3, 30))
    if status in ("shipped", "delivered", "returned") and fulfilment == "delivery":
        shipped_at = updated
        tno = tracking(carrier)
        updated = shipped_at
    if status in ("delivered", "returned"):
        transit = rng.randint(4, 10) if has_bulky else (rng.randint(4, 9) if region == "east" else rng.randint(1, 4))
        delivered_at = (shipped_at or updated) + timedelta(days=transit, hours=rng.randint(0, 6))
        updated = delivered_at
    if status == "cancelled":
        updated = placed + timedelta(hours=rng.randint(1, 40))
    if status not in ("shipped", "delivered", "returned") or fulfilment != "delivery":
        carrier_out = carrier if status in ("shipped", "delivered", "returned") else None
    else:
        carrier_out = carrier
    if status == "returned":
        r_at = delivered_at + timedelta(days=rng.randint(2, 20), hours=rng.randint(1, 8))
        ret_line = line_rows[0]
        refund = ret_line[3] * ret_line[4]
        returns.append([None, order_id, ret_line[2], ret_line[3],
                        rng.choice(["Changed my mind", "Colour differs from photos", "Damaged on arrival",
                                    "Does not fit the space", "Wrong item delivered", "Found a defect after use"]),
                        "refunded", refund, None, r_at, r_at + timedelta(days=rng.randint(5, 12))])
        updated = returns[-1][9]
    orders.append((order_id, cid, email, status, fulfilment, pickup, pay, subtotal, discount, fee, total, "MYR",
                   code, placed, updated, shipped_at, delivered_at, carrier_out, tno,
                   city if fulfilment == "delivery" else None, state if fulfilment == "delivery" else None))
    items.extend(line_rows)

# A few open returns on delivered orders (still inside the 30-day window).
recent_delivered = [o for o in orders if o[3] == "delivered" and o[16] and o[16] >= TODAY - timedelta(days=25)]
open_states = ["requested", "approved", "received", "rejected"]
for k, o in enumerate(recent_delivered[:4]):
    line = next(it for it in items if it[0] == o[0])
    created = min(o[16] + timedelta(days=rng.randint(1, 5), hours=3), TODAY - timedelta(hours=5))
    st = open_states[k]
    turn = f"seed-turn-{k + 1:04d}" if k % 2 == 0 else None   # opened via the chat assistant
    returns.append([None, o[0], line[2], 1,
                    ["Defective drawer runner", "Changed my mind", "Colour differs from photos",
                     "Used item, outside policy"][k],
                    st, line[4] if st == "received" else 0, turn, created, created + timedelta(hours=rng.randint(1, 48))])
returns.sort(key=lambda r: r[8])
for n, r in enumerate(returns, 1):
    r[0] = f"RET-{5000 + n}"
returns = [tuple(r) for r in returns]

# ------------------------------------------------------------------ promotions
def d(y, m, dd, h=0, mi=0):
    return datetime(y, m, dd, h, mi, tzinfo=MYT)

PROMOS = [
    # promo_id, title, description, kind, value, min_spend_sen, applies_kind, applies_to, min_tier, code, starts, ends
    ("PROMO-2606-MIDYEAR", "Mid-Year Home Refresh", "10% off all storage and decor.", "percent", 10, 0,
     "category", ["storage", "decor"], None, None, d(2026, 6, 1), d(2026, 7, 1)),
    ("PROMO-2608-MERDEKA", "Merdeka Sofa Deals", "17% off every sofa and armchair for Merdeka and Malaysia Day.",
     "percent", 17, 0, "category", ["sofas"], None, None, d(2026, 8, 15), d(2026, 9, 17)),
    ("PROMO-2610-DEEPAVALI", "Deepavali Festival of Lights", "20% off all lighting.", "percent", 20, 0,
     "category", ["lighting"], None, None, d(2026, 10, 22), d(2026, 11, 10)),
    ("PROMO-2611-1111", "11.11 Mega Sale", "RM 111 off orders of RM 1,111 or more with code HALIA1111.",
     "amount", 11100, 111100, "all", [], None, "HALIA1111", d(2026, 11, 11), d(2026, 11, 12)),
    ("PROMO-2611-YEAREND", "Year-End Sleep Sale", "15% off all beds, bed frames and mattresses.",
     "percent", 15, 0, "category", ["beds-mattresses"], None, None, d(2026, 11, 1), d(2027, 2, 1)),
    ("PROMO-2611-TEXTILES", "Cosy Home Textiles", "Buy any textiles worth RM 150 or more and get RM 30 off.",
     "amount", 3000, 15000, "category", ["textiles"], None, None, d(2026, 11, 1), d(2027, 2, 1)),
    ("PROMO-WELCOME20", "Welcome RM 20 off", "New Halia Rewards members: RM 20 off a first online order of RM 200 or more.",
     "amount", 2000, 20000, "all", [], "bronze", "WELCOME20", d(2026, 1, 1), d(2028, 1, 1)),
    ("PROMO-2611-GOLDX2", "Double Points for Gold and Platinum", "Gold and Platinum members earn double points on every purchase.",
     "bonus_points", 200, 0, "all", [], "gold", None, d(2026, 11, 1), d(2027, 1, 1)),
    ("PROMO-2611-KITCHEN", "Kitchen Upgrade Month", "20% off kitchen and dining.", "percent", 20, 0,
     "category", ["kitchen-dining"], None, None, d(2026, 11, 15), d(2026, 12, 16)),
    ("PROMO-2611-BLACKFRI", "Black Friday Weekend", "12% off sitewide (min. spend RM 500) with code BF2026.",
     "percent", 12, 50000, "all", [], None, "BF2026", d(2026, 11, 27), d(2026, 12, 1)),
    ("PROMO-2612-1212", "12.12 Outdoor Living", "Free assembly on all outdoor furniture.", "free_assembly", 0, 0,
     "category", ["outdoor"], None, None, d(2026, 12, 10), d(2026, 12, 15)),
    ("PROMO-2701-CNY", "Chinese New Year Ang Pow Deals", "RM 88 off orders of RM 888 or more with code ANGPOW88.",
     "amount", 8800, 88800, "all", [], None, "ANGPOW88", d(2027, 1, 18), d(2027, 2, 21)),
    ("PROMO-2611-SOFASKU", "Featured Sofas", "RM 200 off selected sofas.", "amount", 20000, 0,
     "sku", [s for s in skus if "-SOFA-" in s][:3], None, None, d(2026, 11, 1), d(2027, 2, 1)),
    ("PROMO-2611-FREEDEL", "Free Delivery for Kids' Furniture", "Free delivery on all kids' items.",
     "free_delivery", 0, 0, "category", ["kids"], None, None, d(2026, 11, 1), d(2026, 11, 16)),
]

# ------------------------------------------------------------------ output
out = [
    "-- Demo data for \"Halia Living\", a fictional Malaysian home-and-lifestyle retailer.",
    "-- GENERATED by deploy/demo/gen/gen_seed.py (seed %d): edit the generator, not this file." % SEED,
    "-- Idempotent: every INSERT is ON CONFLICT DO NOTHING (re-running changes nothing and",
    "-- never overwrites rows the services have updated). Apply with:",
    "--   psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 --single-transaction -f deploy/demo/seed.sql",
    "-- The data assumes \"today\" = %s (Asia/Kuala_Lumpur)." % TODAY.strftime("%Y-%m-%d %H:%M"),
    "-- All people, e-mail addresses (example.com / example.my) and phone numbers (+60 ..-000 ....) are fictional.",
    "",
]
insert("stores", ["store_id", "name", "city", "state", "address", "postcode", "phone", "email", "opening_hours", "services"],
       [(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[0].lower() + "@halia.example.my", Jsonb(s[7]), s[8]) for s in STORES], out)
insert("loyalty_tiers", ["tier", "rank", "min_points", "earn_rate", "perks"],
       [(t[0], t[1], t[2], t[3], Jsonb(t[4])) for t in TIERS], out)
insert("products", ["sku", "name", "name_ms", "name_zh", "category", "description", "attributes", "active",
                    "created_at", "updated_at"], products, out)
insert("prices", ["sku", "price_sen", "currency", "event_ts"], prices, out)
insert("inventory", ["sku", "store_id", "qty", "event_ts"], inventory, out)
insert("customers", ["customer_id", "name", "email", "phone", "locale", "loyalty_tier", "loyalty_points",
                     "created_at", "updated_at"], customers, out)
insert("orders", ["order_id", "customer_id", "email", "status", "fulfilment", "pickup_store_id", "payment_method",
                  "subtotal_sen", "discount_sen", "delivery_fee_sen", "total_sen", "currency", "promo_code",
                  "placed_at", "updated_at", "shipped_at", "delivered_at", "carrier", "tracking_no",
                  "delivery_address_city", "delivery_address_state"], orders, out)
insert("order_items", ["order_id", "line_no", "sku", "qty", "unit_price_sen"], items, out)
insert("returns", ["return_id", "order_id", "sku", "qty", "reason", "status", "refund_sen", "created_turn_id",
                   "created_at", "updated_at"], returns, out)
insert("promotions", ["promo_id", "title", "description", "discount_kind", "discount_value", "min_spend_sen",
                      "applies_to_kind", "applies_to", "min_tier", "code", "starts_at", "ends_at"], PROMOS, out)
# The returns policy (kb/*/returns-refunds.md): 30 days after delivery, 45 for
# Platinum; '' is a guest order.
insert("return_policy", ["tier", "window_days"],
       [("", 30), ("bronze", 30), ("silver", 30), ("gold", 30), ("platinum", 45)], out)
print("\n".join(out))
