"""Reference data of the synthetic population: nationalities with weights, names, positions, employers.

Weights follow the rough mix of foreign workers in Guangdong (Korea, Japan and the United States
first); names are common ones of each country in the Latin script of a passport.
"""

from __future__ import annotations

# (ISO 3166 alpha-2, weight, name group)
NATIONALITIES: tuple[tuple[str, int, str], ...] = (
    ("KR", 14, "ko"), ("JP", 10, "ja"), ("US", 10, "en"), ("GB", 5, "en"), ("CA", 3, "en"), ("AU", 3, "en"),
    ("NZ", 1, "en"), ("ZA", 1, "en"), ("SG", 2, "zhl"), ("MY", 3, "ms"), ("DE", 5, "de"), ("NL", 1, "de"),
    ("SE", 1, "de"), ("FR", 4, "fr"), ("IT", 3, "it"), ("ES", 3, "es"), ("MX", 1, "es"), ("BR", 2, "pt"),
    ("RU", 5, "ru"), ("KZ", 1, "ru"), ("IN", 5, "in"), ("PK", 2, "in"), ("TH", 3, "th"), ("VN", 3, "vi"),
    ("PH", 3, "ph"), ("ID", 2, "ms"), ("NG", 2, "ng"), ("EG", 1, "ar"), ("TR", 1, "tr"), ("MN", 1, "mn"),
)

# group -> (family names, men's given names, women's given names)
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Anderson",
            "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker"),
           ("James", "John", "Robert", "Michael", "David", "William", "Richard", "Joseph", "Daniel", "Andrew"),
           ("Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Susan", "Jessica", "Sarah", "Karen", "Emily")),
    "ko": (("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh", "Seo", "Shin"),
           ("Minjun", "Seojun", "Dohyun", "Jiho", "Junwoo", "Hyunwoo", "Jihoon", "Sungmin", "Taeyang"),
           ("Seoyeon", "Jiwoo", "Minseo", "Seoyun", "Hayoon", "Jiyoung", "Eunji", "Sooyeon", "Yuna")),
    "ja": (("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
            "Kato", "Yoshida", "Yamada"),
           ("Haruto", "Sota", "Yuto", "Hiroshi", "Takeshi", "Kenji", "Daiki", "Ren", "Kaito"),
           ("Yui", "Hina", "Sakura", "Yuki", "Aoi", "Mei", "Haruka", "Akiko", "Naomi")),
    "de": (("Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
            "de Vries", "Jansen", "Andersson", "Johansson"),
           ("Lukas", "Felix", "Jonas", "Maximilian", "Paul", "Lars", "Erik", "Daan", "Tobias"),
           ("Anna", "Lena", "Emma", "Sophie", "Marie", "Elin", "Sanne", "Julia", "Katharina")),
    "fr": (("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"),
           ("Louis", "Hugo", "Lucas", "Nathan", "Antoine", "Julien", "Pierre"),
           ("Camille", "Chloe", "Manon", "Ines", "Lea", "Claire", "Amelie")),
    "it": (("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
           ("Marco", "Luca", "Giuseppe", "Andrea", "Matteo", "Lorenzo"),
           ("Giulia", "Chiara", "Francesca", "Sara", "Martina", "Alessia")),
    "es": (("Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Hernandez", "Perez", "Sanchez", "Ramirez"),
           ("Alejandro", "Carlos", "Javier", "Mateo", "Diego", "Pablo", "Miguel"),
           ("Maria", "Lucia", "Sofia", "Camila", "Valentina", "Carmen", "Elena")),
    "pt": (("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida"),
           ("Joao", "Pedro", "Gabriel", "Rafael", "Thiago"), ("Ana", "Beatriz", "Isabela", "Larissa", "Fernanda")),
    "ru": (("Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov", "Novikov", "Fedorov"),
           ("Alexander", "Dmitry", "Maxim", "Sergey", "Andrey", "Ivan", "Nikolai"),
           ("Anastasia", "Maria", "Daria", "Elena", "Olga", "Natalia", "Irina")),
    "in": (("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Khan", "Ahmed", "Malik"),
           ("Aarav", "Arjun", "Rahul", "Vikram", "Amit", "Imran", "Bilal", "Rohan"),
           ("Priya", "Ananya", "Sneha", "Kavya", "Ayesha", "Fatima", "Pooja")),
    "th": (("Srisuk", "Chaiyaporn", "Wongsawat", "Thongchai", "Saetang", "Rattanakorn"),
           ("Somchai", "Anan", "Krit", "Niran"), ("Siriporn", "Malee", "Kanya", "Ploy")),
    "vi": (("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang"),
           ("Minh", "Duc", "Huy", "Quang", "Tuan"), ("Lan", "Mai", "Huong", "Thu", "Linh")),
    "ph": (("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza"),
           ("Jose", "Mark", "Paolo", "Miguel"), ("Maria", "Kristine", "Angelica", "Joy")),
    "ms": (("Abdullah", "Rahman", "Hassan", "Ismail", "Wijaya", "Santoso", "Hidayat"),
           ("Ahmad", "Muhammad", "Budi", "Hafiz"), ("Nur", "Siti", "Dewi", "Aisyah")),
    "zhl": (("Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua"),
            ("Wei Ming", "Jun Jie", "Kai", "Ethan"), ("Hui Min", "Xin Yi", "Shu Fen", "Chloe")),
    "ng": (("Okafor", "Adeyemi", "Okonkwo", "Eze", "Ibrahim", "Balogun"),
           ("Chinedu", "Emeka", "Oluwaseun", "Tunde"), ("Ngozi", "Amaka", "Folake", "Chioma")),
    "ar": (("Mohamed", "Hassan", "Mahmoud", "Ali", "Ibrahim", "Mostafa"),
           ("Ahmed", "Omar", "Youssef", "Karim"), ("Fatma", "Mariam", "Nour", "Salma")),
    "tr": (("Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz"),
           ("Mehmet", "Mustafa", "Emre", "Burak"), ("Ayse", "Elif", "Zeynep", "Merve")),
    "mn": (("Bat-Erdene", "Ganbaatar", "Dorj", "Enkhbayar"),
           ("Temuulen", "Bat", "Tulga"), ("Anu", "Oyun", "Saraa")),
}

POSITIONS = (
    "Software Engineer", "English Teacher", "Mechanical Engineer", "Sales Director", "Quality Manager", "Chef",
    "Research Scientist", "Financial Analyst", "Product Designer", "General Manager", "Marketing Manager",
    "Data Scientist", "Physician", "University Lecturer", "Production Supervisor", "Architect", "Consultant",
    "Logistics Manager", "Translator", "Music Teacher",
)

# (weight) of categories A (high-end), B (professional), C (other); maximum years per category
CATEGORIES = (("A", 15), ("B", 60), ("C", 25))
YEARS = {"A": 5, "B": 2, "C": 1}

# Prefectures of Guangdong (province 44): (GB/T 2260 code, English, Chinese)
CITIES = (("441900", "Dongguan", "东莞"), ("440300", "Shenzhen", "深圳"), ("440100", "Guangzhou", "广州"),
          ("440600", "Foshan", "佛山"), ("440400", "Zhuhai", "珠海"), ("441300", "Huizhou", "惠州"))
WORDS = (("Pearl", "明珠"), ("Harbour", "港湾"), ("Golden", "金辉"), ("Evergreen", "长青"), ("Bright", "光明"),
         ("Unity", "同心"), ("Summit", "峰汇"), ("Orient", "东方"), ("Horizon", "远景"), ("Silverline", "银线"))
INDUSTRIES = (("Precision Manufacturing", "精密制造"), ("Trading", "贸易"), ("Technology", "科技"),
              ("Education", "教育"), ("Logistics", "物流"), ("Biotech", "生物科技"), ("Electronics", "电子"),
              ("Consulting", "咨询"), ("Hospitality", "酒店管理"), ("Design", "设计"))
