//! A deterministic, realistic population of persons with South and Southeast Asian
//! names (Indian Hindu and Muslim, Bangladeshi, Nepali, Khmer, Thai, Filipino,
//! Burmese, Vietnamese), and spelling variants of their names, for benchmarks and
//! tests of name search. Standalone (std only): include it with
//! `#[path = "..."] mod population;`.

#![allow(dead_code)]

/// One generated person.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Full name, in the order customary for the person's culture.
    pub name: String,
    /// A nickname or other name the person is known by.
    pub alias: Option<String>,
    /// `"female"` or `"male"`.
    pub sex: &'static str,
    /// Age in years.
    pub age: i64,
    /// ISO 3166 alpha-2 code: `IN`, `NP`, `BD`, `KH`, `TH`, `PH`, `MM` or `VN`.
    pub nationality: &'static str,
}

/// Spellings that must be recognised as the same name (left as stored, right as
/// searched, or the other way round).
pub const VARIANT_PAIRS: &[(&str, &str)] = &[
    ("Lakshmi", "Laxmi"),
    ("Lakshmi", "Luxmi"),
    ("Lakshmi", "Lakshmee"),
    ("Laxmi", "Luxmi"),
    ("Laxmi", "Lakshmee"),
    ("Mohammad", "Muhammed"),
    ("Mohammad", "Mohammed"),
    ("Mohammad", "Muhammad"),
    ("Mohammad", "Mohd"),
    ("Mohammad", "Md"),
    ("Muhammed", "Mohammed"),
    ("Muhammed", "Muhammad"),
    ("Mohammed", "Md"),
    ("Muhammad", "Mohd"),
    ("Sokha", "Sokhar"),
    ("Srey", "Srei"),
    ("Chanthy", "Chanty"),
    ("Somchai", "Somchay"),
    ("Phon", "Pon"),
    ("Wichai", "Vichai"),
    ("Nattapong", "Nattaphong"),
    ("Nattapong", "Natthaphong"),
    ("Nattaphong", "Natthaphong"),
    ("Shabnam", "Sabnam"),
    ("Parveen", "Parvin"),
    ("Parveen", "Perveen"),
    ("Parvin", "Perveen"),
    ("Priya", "Priyaa"),
    ("Rekha", "Reka"),
    ("Jyoti", "Jyothi"),
    ("Jyoti", "Joti"),
    ("Jyothi", "Joti"),
    ("Sanjay", "Sanjai"),
    ("Kumari", "Kumaree"),
    ("Chaudhary", "Choudhary"),
    ("Chaudhary", "Chowdhury"),
    ("Choudhary", "Chowdhury"),
    ("Sushila", "Susila"),
    ("Jocelyn", "Joselyn"),
    ("Shabnam", "शबनम"),
    ("Parveen", "परवीन"),
    ("Shabnam Parveen", "शबनम परवीन"),
];

/// Groups of spellings of one name: transliteration variants, Devanagari spellings,
/// Vietnamese with and without diacritics. `spelling_variant` draws from these.
pub const VARIANT_GROUPS: &[&[&str]] = &[
    // Indian and Nepali (Hindu)
    &["Lakshmi", "Laxmi", "Luxmi", "Lakshmee", "लक्ष्मी"],
    &["Sita", "Seeta", "सीता"],
    &["Gita", "Geeta", "Geetha", "गीता"],
    &["Rekha", "Reka", "रेखा"],
    &["Priya", "Priyaa", "प्रिया"],
    &["Pooja", "Puja", "पूजा"],
    &["Sunita", "Suneeta", "सुनीता"],
    &["Anita", "Aneeta", "अनीता"],
    &["Kavita", "Kavitha", "Kabita"],
    &["Savita", "Sabita", "Savitha"],
    &["Jyoti", "Jyothi", "Joti", "ज्योति"],
    &["Radha", "Radhaa", "राधा"],
    &["Kamala", "Kamla", "कमला"],
    &["Parvati", "Parbati", "Parvathi", "Parwati"],
    &["Shanti", "Santi", "Shanthi"],
    &["Meena", "Mina", "मीना"],
    &["Sushila", "Susila", "Sushilla", "सुशीला"],
    &["Sarita", "Saritha"],
    &["Sangita", "Sangeeta", "Sangeetha"],
    &["Mamta", "Mamata"],
    &["Aarti", "Arti", "Aarthi"],
    &["Bhagwati", "Bhagawati", "Bhagvati"],
    &["Devi", "Debi", "देवी"],
    &["Kumari", "Kumaree", "कुमारी"],
    &["Sanjay", "Sanjai", "संजय"],
    &["Vijay", "Bijay", "Vijai"],
    &["Bikash", "Vikash", "Vikas", "Bikas"],
    &["Dipak", "Deepak", "Deepaq"],
    &["Binod", "Vinod"],
    &["Bibek", "Vivek"],
    &["Krishna", "Krisna", "Krishn"],
    &["Shankar", "Sankar"],
    &["Prakash", "Parkash", "Prakas"],
    &["Ramesh", "Rames", "रमेश"],
    &["Rajendra", "Rajindra", "Rajender"],
    &["Sharma", "Sarma", "शर्मा"],
    &["Yadav", "Yadaw", "यादव"],
    &["Singh", "Sing", "सिंह"],
    &["Mishra", "Misra"],
    &["Tiwari", "Tiwary", "Tewari"],
    &["Pandey", "Pande", "Panday"],
    &[
        "Chaudhary",
        "Choudhary",
        "Chowdhury",
        "Chaudhari",
        "Choudhury",
    ],
    &["Kushwaha", "Kushwah", "Kuswaha"],
    &["Shrestha", "Shresta", "Srestha", "श्रेष्ठ"],
    &["Tamang", "तामाङ"],
    &["Gurung", "गुरुङ"],
    &["Thapa", "थापा"],
    &["Adhikari", "Adhikary"],
    &["Poudel", "Paudel", "Poudyal"],
    &["Ghimire", "Ghimirey"],
    &["Bhattarai", "Bhatarai"],
    &["Sabitri", "Savitri"],
    &["Samjhana", "Samjana"],
    &["Srijana", "Shrijana"],
    &["Bimala", "Vimala"],
    // Muslim (India, Bangladesh)
    &[
        "Mohammad",
        "Muhammad",
        "Mohammed",
        "Muhammed",
        "Mohamed",
        "Mohd",
        "Md",
        "मोहम्मद",
    ],
    &["Shabnam", "Sabnam", "शबनम"],
    &["Parveen", "Parvin", "Perveen", "Parbin", "परवीन"],
    &["Fatima", "Fatema", "Fathima"],
    &["Nasreen", "Nasrin"],
    &["Yasmin", "Yasmeen", "Jasmine"],
    &["Rukhsana", "Rukshana", "Ruksana"],
    &["Shahnaz", "Shahnaj"],
    &["Farida", "Fareeda"],
    &["Zarina", "Jarina"],
    &["Hussain", "Hossain", "Husain"],
    &["Ahmed", "Ahmad"],
    &["Rahman", "Rehman"],
    &["Khatun", "Khatoon"],
    &["Akter", "Akhter", "Aktar", "Akhtar"],
    &["Begum", "Begam"],
    &["Uddin", "Uddeen"],
    &["Rizwan", "Rijwan"],
    &["Javed", "Jawed"],
    &["Farooq", "Faruk", "Farook"],
    &["Shafiq", "Shafik"],
    &["Rafiq", "Rafik"],
    &["Mamun", "Mamoon"],
    &["Masud", "Masood"],
    &["Sumon", "Suman"],
    &["Sohel", "Sohail"],
    &["Rasel", "Russel"],
    &["Mousumi", "Moushumi", "Mausumi"],
    &["Mondal", "Mandal", "Mondol"],
    &["Sarkar", "Sircar", "Sarker"],
    &["Talukder", "Talukdar"],
    &["Bhuiyan", "Bhuiya", "Bhuyan"],
    &["Howlader", "Hawlader"],
    &["Chakraborty", "Chakravarty", "Chakrabarti"],
    &["Majumder", "Majumdar", "Mojumder"],
    &["Biswas", "Bishwas"],
    &["Qureshi", "Kureshi", "Quraishi"],
    &["Siddiqui", "Siddiqi", "Siddiki"],
    // Khmer
    &["Sokha", "Sokhar"],
    &["Srey", "Srei"],
    &["Chanthy", "Chanty"],
    &["Chantha", "Chanta"],
    &["Bopha", "Bupha"],
    &["Channary", "Chanary"],
    &["Raksmey", "Reaksmey", "Rasmey"],
    &["Leakhena", "Leakena"],
    &["Visal", "Vishal"],
    &["Rithy", "Rithi"],
    &["Vuthy", "Vuthi"],
    &["Pheakdey", "Pheakdei", "Peakdey"],
    &["Chamroeun", "Chamroen"],
    &["Kunthea", "Konthea"],
    &["Sokunthea", "Sokonthea"],
    &["Chhim", "Chim"],
    &["Touch", "Tuch"],
    // Thai
    &["Somchai", "Somchay"],
    &["Phon", "Pon"],
    &["Wichai", "Vichai"],
    &["Nattapong", "Nattaphong", "Natthaphong"],
    &["Siriporn", "Siripon", "Siriphon"],
    &["Kanokwan", "Kanokwun"],
    &["Pornthip", "Ponthip", "Phornthip"],
    &["Supaporn", "Suphaporn", "Supaphon"],
    &["Ratchanee", "Ratchani"],
    &["Saowanee", "Saowani"],
    &["Arunee", "Aruni"],
    &["Wilaiwan", "Wilaivan"],
    &["Chaiwat", "Chaivat"],
    &["Thanakorn", "Thanakon"],
    &["Kittisak", "Kitisak"],
    &["Thawatchai", "Tawatchai"],
    &["Weerapong", "Werapong", "Veerapong"],
    &["Pongsak", "Phongsak"],
    &["Preecha", "Pricha"],
    &["Teerawat", "Theerawat", "Tirawat"],
    &["Wuttichai", "Vuttichai", "Wutthichai"],
    &["Supachai", "Suphachai"],
    &["Kaewkham", "Kaeokham", "Kaewkam"],
    &["Thongdee", "Thongdi", "Tongdee"],
    &["Phromma", "Promma"],
    &["Suwannarat", "Suwanarat"],
    &["Rattanakorn", "Rattanakon", "Ratanakorn"],
    &["Jaidee", "Jaidi"],
    &["Boonmee", "Bunmi", "Boonmi"],
    &["Somboon", "Sombun"],
    &["Wongsawat", "Wongsawad"],
    // Filipino
    &["Jocelyn", "Joselyn", "Jocelyne"],
    &["Rowena", "Rowina"],
    &["Marites", "Maritess"],
    &["Analyn", "Annalyn", "Analin"],
    &["Marilou", "Marilu"],
    &["Michelle", "Mitchelle", "Michele"],
    &["Kristine", "Christine", "Cristine"],
    &["Angelica", "Anjelica"],
    &["Maricel", "Marisel"],
    &["Jennifer", "Jenifer"],
    &["Jonalyn", "Jonalin"],
    &["Mylene", "Mylen"],
    &["Ailyn", "Aileen", "Eileen"],
    &["Cristina", "Christina", "Kristina"],
    &["Sheila", "Shiela", "Sheela"],
    &["Lilibeth", "Lilybeth"],
    &["Jayson", "Jason"],
    &["Reynaldo", "Reinaldo"],
    &["Rogelio", "Rojelio"],
    &["Gonzales", "Gonzalez"],
    &["Villanueva", "Vilanueva"],
    &["Bautista", "Batista"],
    &["Fernandez", "Fernandes"],
    &["Valdez", "Valdes"],
    &["Gutierrez", "Gutierez"],
    // Burmese
    &["Aung", "Aong"],
    &["Kyaw", "Kyau", "Kyo"],
    &["Htet", "Htett"],
    &["Htun", "Tun"],
    &["Htwe", "Htway"],
    &["Myint", "Myin"],
    &["Thein", "Thien"],
    &["Zaw", "Zau"],
    &["Phyo", "Pyo"],
    &["Phyu", "Pyu"],
    &["Thandar", "Thander", "Thanda"],
    &["Nilar", "Nila"],
    &["Sandar", "Sanda"],
    &["Yadanar", "Yadana"],
    &["Ohnmar", "Ohmar"],
    &["Chaw", "Chau"],
    // Vietnamese, with and without diacritics
    &["Nguyen", "Nguyễn"],
    &["Tran", "Trần"],
    &["Le", "Lê"],
    &["Pham", "Phạm"],
    &["Hoang", "Hoàng"],
    &["Huynh", "Huỳnh"],
    &["Vu", "Vũ"],
    &["Vo", "Võ"],
    &["Dang", "Đặng"],
    &["Bui", "Bùi"],
    &["Do", "Đỗ"],
    &["Duong", "Dương"],
    &["Thi", "Thị"],
    &["Van", "Văn"],
    &["Huong", "Hương"],
    &["Phuong", "Phương"],
    &["Ngoc", "Ngọc"],
    &["Thuy", "Thủy"],
    &["Hanh", "Hạnh"],
    &["Tuan", "Tuấn"],
    &["Hung", "Hùng"],
    &["Duc", "Đức"],
    &["Dung", "Dũng"],
    &["Tuyet", "Tuyết"],
    &["Quynh", "Quỳnh"],
];

/// A tiny deterministic RNG (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5AFE_4EE9_0000_0001)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// A uniformly chosen element (`items` must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An element chosen by weight from `(item, weight)` pairs.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|&(_, w)| u64::from(w)).sum();
        let mut r = self.next_u64() % total.max(1);
        for &(item, w) in items {
            if r < u64::from(w) {
                return item;
            }
            r -= u64::from(w);
        }
        items[items.len() - 1].0
    }
}

// ----------------------------------------------------------------------------------
// Name tables
// ----------------------------------------------------------------------------------

const HINDU_F: &[&str] = &[
    "Lakshmi",
    "Sita",
    "Gita",
    "Rekha",
    "Priya",
    "Pooja",
    "Sunita",
    "Anita",
    "Kavita",
    "Savita",
    "Suman",
    "Neha",
    "Jyoti",
    "Anjali",
    "Radha",
    "Kamala",
    "Sarita",
    "Usha",
    "Asha",
    "Meena",
    "Rani",
    "Parvati",
    "Durga",
    "Kiran",
    "Mamta",
    "Shanti",
    "Manju",
    "Renu",
    "Poonam",
    "Sapna",
    "Rinku",
    "Rupa",
    "Sangita",
    "Nisha",
    "Kajal",
    "Komal",
    "Ritu",
    "Seema",
    "Babita",
    "Pinki",
    "Saroj",
    "Sushila",
    "Uma",
    "Vandana",
    "Lalita",
    "Sneha",
    "Divya",
    "Aarti",
    "Bhagwati",
    "Champa",
    "Phoolmati",
    "Sonam",
    "Khushboo",
    "Laxmi",
    "Chanda",
    "Basanti",
    "Sumitra",
];
const HINDU_M: &[&str] = &[
    "Ramesh",
    "Suresh",
    "Mahesh",
    "Rajesh",
    "Sanjay",
    "Vijay",
    "Ajay",
    "Amit",
    "Sunil",
    "Anil",
    "Manoj",
    "Rakesh",
    "Mukesh",
    "Dinesh",
    "Raju",
    "Ravi",
    "Deepak",
    "Pankaj",
    "Ashok",
    "Santosh",
    "Vinod",
    "Arun",
    "Rahul",
    "Gopal",
    "Krishna",
    "Shankar",
    "Ganesh",
    "Mohan",
    "Sohan",
    "Bablu",
    "Pappu",
    "Lalit",
    "Naresh",
    "Prakash",
    "Vikas",
    "Bhola",
    "Shyam",
    "Hari",
    "Jitendra",
    "Birju",
    "Rajendra",
    "Umesh",
    "Kamlesh",
    "Sonu",
    "Dharmendra",
];
const HINDU_SURNAMES: &[&str] = &[
    "Sharma",
    "Verma",
    "Yadav",
    "Singh",
    "Gupta",
    "Mishra",
    "Pandey",
    "Tiwari",
    "Chaudhary",
    "Patel",
    "Shah",
    "Das",
    "Paswan",
    "Manjhi",
    "Ram",
    "Prasad",
    "Mahto",
    "Rajbhar",
    "Nishad",
    "Chauhan",
    "Thakur",
    "Rathore",
    "Meena",
    "Oraon",
    "Munda",
    "Soren",
    "Hembrom",
    "Tudu",
    "Kisku",
    "Murmu",
    "Kushwaha",
    "Sahu",
    "Jha",
    "Mandal",
    "Sahni",
    "Rai",
    "Pal",
    "Nayak",
    "Reddy",
    "Naik",
    "Bhuiyan",
    "Kumar",
    "Mondal",
    "Baraik",
    "Lohar",
    "Toppo",
    "Ekka",
    "Minz",
];
const INDIAN_MUSLIM_F: &[&str] = &[
    "Shabnam", "Parveen", "Nasreen", "Farida", "Fatima", "Rukhsana", "Shahnaz", "Rubina", "Salma",
    "Reshma", "Nazia", "Sabina", "Zarina", "Ayesha", "Shabana", "Firdaus", "Nargis", "Noor",
    "Tabassum", "Mumtaz", "Yasmin", "Gulshan", "Rehana", "Afsana", "Heena", "Sana", "Shamim",
    "Naseem", "Kausar", "Sultana",
];
const INDIAN_MUSLIM_M: &[&str] = &[
    "Abdul", "Imran", "Salman", "Irfan", "Aslam", "Akram", "Anwar", "Javed", "Shahid", "Rashid",
    "Sajid", "Farooq", "Wasim", "Nadeem", "Rizwan", "Sameer", "Arif", "Asif", "Tariq", "Zubair",
    "Shakeel", "Iqbal", "Naushad", "Danish", "Sohail", "Yusuf", "Aftab", "Intezar", "Mustafa",
    "Ismail",
];
const INDIAN_MUSLIM_SURNAMES: &[&str] = &[
    "Khan", "Ansari", "Qureshi", "Shaikh", "Siddiqui", "Ahmed", "Ali", "Hussain", "Sheikh",
    "Pathan", "Mirza", "Malik", "Alam", "Rizvi", "Saifi", "Mansuri", "Ahmad", "Raza", "Idrisi",
    "Salmani",
];
const INDIAN_MUSLIM_F_SURNAMES: &[&str] = &["Khatoon", "Begum", "Bano", "Bibi", "Nisha"];

const BD_F: &[&str] = &[
    "Rahima", "Fatema", "Nasima", "Shirin", "Mousumi", "Shapla", "Bristi", "Taslima", "Sharmin",
    "Nasrin", "Ruma", "Shilpi", "Jesmin", "Hasina", "Rokeya", "Khadija", "Sabina", "Munni",
    "Kulsum", "Amena", "Jahanara", "Ferdousi", "Laily", "Mahfuza", "Nazma", "Poly", "Rozina",
    "Sumi", "Tania", "Runa", "Lucky", "Beauty", "Popy", "Rupali", "Anjuara", "Marjina", "Rehana",
    "Rabeya", "Jannat", "Sathi", "Mim", "Akhi", "Sonia", "Tahmina", "Mariam", "Shamima", "Rashida",
    "Hosneara", "Dilara", "Monowara", "Parul", "Shefali", "Asma", "Halima", "Josna", "Koli",
    "Lipi", "Mukta", "Nargis", "Rupa",
];
const BD_F_SURNAMES: &[(&str, u32)] = &[
    ("Akter", 20),
    ("Khatun", 15),
    ("Begum", 10),
    ("Sultana", 8),
    ("Parvin", 6),
    ("Yasmin", 5),
    ("Nahar", 6),
    ("Jahan", 5),
    ("Ara", 4),
    ("Islam", 5),
    ("Rahman", 5),
    ("Khanam", 4),
    ("Bibi", 3),
    ("Hossain", 4),
];
const BD_M: &[&str] = &[
    "Karim", "Rahim", "Hasan", "Kamal", "Jamal", "Rafiq", "Shafiq", "Habib", "Jahangir", "Alamgir",
    "Mizanur", "Mamun", "Masud", "Rubel", "Sohel", "Shahin", "Sumon", "Rasel", "Babul", "Shamim",
    "Faruk", "Harun", "Nurul", "Abul", "Liton", "Mithu", "Jewel", "Sujon", "Rana", "Kabir",
    "Hanif", "Selim", "Saiful", "Ruhul", "Abdur", "Aminul", "Anisur", "Rezaul", "Shahidul",
    "Monir", "Delwar", "Jasim", "Alamin", "Sabbir", "Ripon", "Shohag",
];
const BD_M_SURNAMES: &[&str] = &[
    "Rahman",
    "Hossain",
    "Islam",
    "Uddin",
    "Ahmed",
    "Chowdhury",
    "Sarkar",
    "Mondal",
    "Sheikh",
    "Mia",
    "Haque",
    "Alam",
    "Ali",
    "Khan",
    "Biswas",
    "Molla",
    "Bhuiyan",
    "Talukder",
    "Howlader",
    "Sikder",
    "Munshi",
    "Mridha",
    "Miah",
    "Kazi",
    "Majumder",
    "Gazi",
    "Fakir",
    "Pramanik",
];
const BD_HINDU_F: &[&str] = &[
    "Rina",
    "Mitali",
    "Shikha",
    "Tumpa",
    "Puja",
    "Shefali",
    "Mousumi",
    "Dipali",
    "Sabita",
    "Anjana",
    "Bithi",
    "Moumita",
    "Sraboni",
    "Tanushree",
    "Krishna",
    "Jhuma",
    "Rumpa",
];
const BD_HINDU_M: &[&str] = &[
    "Tapan",
    "Swapan",
    "Bikash",
    "Pradip",
    "Uttam",
    "Ratan",
    "Subrata",
    "Sujit",
    "Bipul",
    "Nikhil",
    "Gopal",
    "Shyamal",
    "Sanjoy",
    "Ashim",
    "Dipankar",
    "Goutam",
    "Prosenjit",
];
const BD_HINDU_SURNAMES: &[&str] = &[
    "Das",
    "Roy",
    "Barman",
    "Debnath",
    "Saha",
    "Ghosh",
    "Pal",
    "Sarkar",
    "Biswas",
    "Mondal",
    "Dey",
    "Chakraborty",
    "Sen",
    "Majumder",
    "Sutradhar",
    "Karmakar",
    "Rishi",
    "Malo",
];

const NEPALI_F: &[&str] = &[
    "Sita", "Gita", "Maya", "Sushila", "Kamala", "Sarita", "Anita", "Sunita", "Laxmi", "Parbati",
    "Radha", "Bimala", "Sabina", "Manisha", "Puja", "Rita", "Mina", "Sangita", "Durga", "Kalpana",
    "Samjhana", "Srijana", "Sabitri", "Chandra", "Bishnu", "Ganga", "Jamuna", "Nirmala", "Pramila",
    "Tika", "Kopila", "Rupa", "Mamata", "Asmita", "Bhagwati", "Dhanmaya", "Goma", "Hira", "Indira",
    "Januka", "Kabita", "Muna", "Nanu", "Pabitra",
];
const NEPALI_M: &[&str] = &[
    "Ram", "Shyam", "Hari", "Krishna", "Bikash", "Sunil", "Rajendra", "Bishnu", "Dipak", "Ramesh",
    "Suman", "Prakash", "Gopal", "Nabin", "Sanjay", "Binod", "Dinesh", "Kamal", "Bal", "Tek",
    "Dil", "Man", "Raju", "Santosh", "Arjun", "Bijay", "Roshan", "Bibek", "Sagar", "Pemba", "Nima",
    "Ang", "Dawa", "Ganesh", "Hem", "Khem", "Lok", "Min", "Purna",
];
const NEPALI_SURNAMES: &[&str] = &[
    "Tamang",
    "Gurung",
    "Magar",
    "Rai",
    "Limbu",
    "Shrestha",
    "Thapa",
    "BK",
    "Sherpa",
    "Adhikari",
    "Poudel",
    "KC",
    "Karki",
    "Bhandari",
    "Basnet",
    "Shahi",
    "Khadka",
    "Lama",
    "Maharjan",
    "Chaudhary",
    "Tharu",
    "Yadav",
    "Sah",
    "Ghimire",
    "Pandey",
    "Bista",
    "Dahal",
    "Neupane",
    "Rana",
    "Nepali",
    "Pariyar",
    "Sunar",
    "Thakuri",
    "Bhattarai",
    "Majhi",
    "Danuwar",
];

const KHMER_SURNAMES: &[&str] = &[
    "Sok", "Chan", "Keo", "Kim", "Meas", "Chea", "Heng", "Ly", "Seng", "Nhem", "Prak", "Sam",
    "Sorn", "Mao", "Pen", "Yim", "Touch", "Phan", "Hem", "Ouk", "Sin", "Chhim", "Long", "Khun",
    "Som", "Tep", "Nget", "Em", "Hun", "Chhun",
];
const KHMER_F: &[&str] = &[
    "Sokha",
    "Sophea",
    "Srey Mom",
    "Chanthy",
    "Bopha",
    "Sreyneang",
    "Dara",
    "Vanna",
    "Channary",
    "Sokunthea",
    "Thida",
    "Pisey",
    "Sreypov",
    "Kunthea",
    "Leakhena",
    "Raksmey",
    "Sopheap",
    "Chenda",
    "Malis",
    "Nary",
    "Sothea",
    "Sreyleak",
    "Kanha",
    "Navy",
    "Phalla",
    "Mealea",
    "Kolab",
    "Srey Pich",
    "Sreymao",
    "Srey",
    "Sokhom",
    "Rachana",
    "Sreyroth",
];
const KHMER_M: &[&str] = &[
    "Sokha",
    "Dara",
    "Vannak",
    "Rithy",
    "Sophal",
    "Visal",
    "Bunthoeun",
    "Sambath",
    "Sovann",
    "Chantha",
    "Kosal",
    "Piseth",
    "Vuthy",
    "Samnang",
    "Sothy",
    "Pheakdey",
    "Rotha",
    "Sarath",
    "Bora",
    "Sophat",
    "Veasna",
    "Virak",
    "Chamroeun",
    "Narith",
    "Makara",
    "Sokhom",
    "Vibol",
];

const THAI_F: &[&str] = &[
    "Siriporn",
    "Kanokwan",
    "Pornthip",
    "Wanida",
    "Malee",
    "Sunisa",
    "Nattaya",
    "Supaporn",
    "Pimchanok",
    "Ratchanee",
    "Jintana",
    "Kannika",
    "Duangjai",
    "Somjit",
    "Nongnuch",
    "Wilaiwan",
    "Saowanee",
    "Arunee",
    "Lamai",
    "Sompong",
    "Chompoo",
    "Prapaporn",
    "Waraporn",
    "Kanya",
    "Orathai",
    "Achara",
    "Busaba",
    "Rungnapa",
    "Suda",
    "Suwanna",
    "Naree",
    "Yupin",
    "Apinya",
    "Patcharee",
    "Piyanut",
    "Thida",
    "Sumalee",
    "Phon",
];
const THAI_M: &[&str] = &[
    "Somchai",
    "Somsak",
    "Nattapong",
    "Wichai",
    "Prasert",
    "Sombat",
    "Anan",
    "Chaiwat",
    "Thanakorn",
    "Kittisak",
    "Surasak",
    "Somkiat",
    "Apichat",
    "Weerapong",
    "Pongsak",
    "Sakda",
    "Thawatchai",
    "Narong",
    "Preecha",
    "Manop",
    "Suthep",
    "Teerawat",
    "Wuttichai",
    "Supachai",
    "Yuttana",
    "Sompong",
    "Chatchai",
    "Worawut",
    "Somboon",
    "Anucha",
    "Kriangsak",
    "Santi",
    "Pairoj",
    "Phon",
];
const THAI_SURNAMES: &[&str] = &[
    "Saetang",
    "Srisuk",
    "Wongsawat",
    "Chaiyaphum",
    "Boonmee",
    "Kaewkham",
    "Thongdee",
    "Phromma",
    "Suwannarat",
    "Rattanakorn",
    "Sukjai",
    "Sirisuk",
    "Jaidee",
    "Thongsuk",
    "Intharat",
    "Saelim",
    "Kongkaew",
    "Phuangmalai",
    "Somboon",
    "Charoenying",
    "Kaewmanee",
    "Wongsuwan",
    "Sangthong",
    "Siriwat",
    "Boonyarat",
    "Chuenchom",
    "Phetsri",
    "Ruangsri",
    "Promsri",
    "Yodsuwan",
    "Pongpanich",
    "Sukprasert",
    "Nuanchan",
    "Srisawat",
    "Meesuk",
    "Thongchai",
    "Butsri",
    "Panyasri",
    "Saengdao",
    "Inthasorn",
];

const FILIPINO_F: &[&str] = &[
    "Maria",
    "Jocelyn",
    "Rowena",
    "Marites",
    "Analyn",
    "Lorna",
    "Marilou",
    "Rosalie",
    "Jenny",
    "Michelle",
    "Kristine",
    "Angelica",
    "Maricel",
    "Jennifer",
    "Rhea",
    "Lovely",
    "Cherry",
    "Jonalyn",
    "Mylene",
    "Ailyn",
    "Evelyn",
    "Gemma",
    "Joy",
    "Leah",
    "Sheila",
    "Rosemarie",
    "Cristina",
    "Nerissa",
    "Lilibeth",
    "Arlene",
    "Janet",
    "Irene",
    "Marivic",
    "Girlie",
    "Divina",
    "Remedios",
    "Teresita",
    "Carmelita",
];
const FILIPINO_M: &[&str] = &[
    "Jose",
    "Juan",
    "Rodel",
    "Jun",
    "Ramon",
    "Mark",
    "Jomar",
    "Ronel",
    "Reynaldo",
    "Rogelio",
    "Eduardo",
    "Danilo",
    "Arnel",
    "Romeo",
    "Jerome",
    "Christian",
    "Joel",
    "Ariel",
    "Alvin",
    "Noel",
    "Dennis",
    "Ricky",
    "Jayson",
    "Ronaldo",
    "Ernesto",
    "Renato",
    "Rolando",
    "Efren",
    "Jericho",
    "Benjie",
];
const FILIPINO_SURNAMES: &[&str] = &[
    "Santos",
    "Reyes",
    "Cruz",
    "Bautista",
    "Ocampo",
    "Garcia",
    "Mendoza",
    "Dela Cruz",
    "Villanueva",
    "Ramos",
    "Aquino",
    "Castillo",
    "Flores",
    "Gonzales",
    "Torres",
    "Rivera",
    "Navarro",
    "Lopez",
    "Dizon",
    "Manalo",
    "Pascual",
    "Soriano",
    "Salazar",
    "Fernandez",
    "Mercado",
    "Aguilar",
    "Domingo",
    "Tolentino",
    "De Guzman",
    "Valdez",
    "Gutierrez",
    "Morales",
    "Macaraeg",
    "Santiago",
    "Panganiban",
    "Magbanua",
    "Dimaculangan",
    "Evangelista",
    "Bernardo",
    "Villareal",
];

const BURMESE_F: &[&str] = &[
    "Mya", "Khin", "Thin", "Hnin", "Su", "Aye", "May", "Nwe", "Thandar", "Ei", "Phyu", "Wai",
    "Yin", "Thida", "San", "Moe", "Nilar", "Htwe", "Hlaing", "Myint", "Kyi", "Cho", "Zin", "Mar",
    "Lwin", "Sandar", "Thuzar", "Yadanar", "Chaw", "Ohnmar", "Hla", "Nu", "Khaing", "Wint",
    "Pwint", "Shwe",
];
const BURMESE_M: &[&str] = &[
    "Aung", "Kyaw", "Min", "Htet", "Zaw", "Thant", "Tun", "Naing", "Soe", "Win", "Ko", "Myo",
    "Thura", "Zin", "Hla", "Oo", "Myint", "Thein", "Han", "Lin", "Htun", "Maung", "Sein", "Khant",
    "Nyi", "Phyo", "Wai", "Yan", "Paing", "Zeya", "Bo", "Chit",
];

const VN_SURNAMES: &[(&str, u32)] = &[
    ("Nguyen", 38),
    ("Tran", 11),
    ("Le", 9),
    ("Pham", 7),
    ("Hoang", 5),
    ("Huynh", 5),
    ("Phan", 4),
    ("Vu", 4),
    ("Vo", 4),
    ("Dang", 2),
    ("Bui", 2),
    ("Do", 2),
    ("Ho", 2),
    ("Ngo", 1),
    ("Duong", 1),
    ("Ly", 1),
];
const VN_F_MIDDLE: &[&str] = &[
    "Thu", "Ngoc", "Thanh", "Minh", "Hong", "Kim", "Bich", "Thuy", "My", "Phuong", "Hoai", "Kieu",
    "Tuyet", "Diem", "Quynh", "Anh", "Cam", "Xuan", "Mai", "Thao",
];
const VN_F: &[&str] = &[
    "Lan", "Huong", "Mai", "Linh", "Trang", "Hoa", "Ngoc", "Thao", "Nhung", "Hanh", "Phuong",
    "Dung", "Anh", "Hang", "Hien", "Hue", "Huyen", "Lien", "Loan", "Nga", "Nhi", "Oanh", "Quyen",
    "Tam", "Thuy", "Trinh", "Tuyet", "Uyen", "Van", "Vy", "Yen", "Xuan", "Diep", "Dao", "Giang",
    "Ha", "Kim", "Ly", "My", "Nhan", "Phuc", "Suong", "Tien", "Tram", "Chi", "Ngan", "Thu", "Hong",
    "Cuc", "Lieu", "Quynh", "Thoa", "Dieu", "Hao", "Khanh",
];
const VN_M_MIDDLE: &[&str] = &[
    "Minh", "Duc", "Quoc", "Thanh", "Huu", "Cong", "Ngoc", "Xuan", "Dinh", "Hoang", "Tuan", "Anh",
    "Quang", "Trung", "Viet",
];
const VN_M: &[&str] = &[
    "Tuan", "Hung", "Nam", "Long", "Duc", "Minh", "Quang", "Thanh", "Dung", "Hai", "Hieu", "Hoang",
    "Huy", "Khanh", "Khoa", "Lam", "Loc", "Phong", "Phuc", "Son", "Tai", "Tam", "Thang", "Thinh",
    "Toan", "Trung", "Tu", "Vinh", "Vu", "Binh", "Cuong", "Dat", "Hau", "Kien", "Luan", "Manh",
    "Nghia", "Tien", "Trieu", "Quan",
];

const NICK_IN: &[&str] = &[
    "Munni", "Guddi", "Pinki", "Rani", "Sonu", "Monu", "Bablu", "Pappu", "Chhotu", "Guddu",
    "Bittu", "Rinki", "Chutki", "Baby", "Golu", "Nanhi",
];
const NICK_BD: &[&str] = &[
    "Munni", "Moni", "Shumi", "Rumi", "Mithu", "Bappi", "Ratna", "Shilpi", "Happy", "Tuni", "Kalu",
    "Babu",
];
const NICK_NP: &[&str] = &[
    "Kanchha", "Kanchhi", "Maili", "Saili", "Nani", "Babu", "Putali",
];
const NICK_KH: &[&str] = &[
    "Srey", "Pov", "Neang", "Mom", "Pich", "Toch", "Thom", "Bong",
];
const NICK_TH: &[&str] = &[
    "Noi", "Lek", "Nok", "Ploy", "Fon", "Nong", "Bee", "Joy", "Gift", "Mint", "Pon", "Aom", "Bua",
    "Kai", "Tum", "Ton",
];
const NICK_PH: &[&str] = &[
    "Lyn", "Weng", "Joy", "Tess", "Jun", "Boy", "Baby", "Inday", "Nene", "Bong", "Jojo",
];
const NICK_VN: &[&str] = &["Be", "Ut", "Ti", "Na", "Bi", "Bong", "Hai", "Ba"];

#[derive(Clone, Copy)]
enum Culture {
    IndianHindu,
    IndianMuslim,
    BangladeshiMuslim,
    BangladeshiHindu,
    Nepali,
    Khmer,
    Thai,
    Filipino,
    Burmese,
    Vietnamese,
}

const CULTURES: &[(Culture, u32)] = &[
    (Culture::IndianHindu, 18),
    (Culture::IndianMuslim, 7),
    (Culture::BangladeshiMuslim, 13),
    (Culture::BangladeshiHindu, 3),
    (Culture::Nepali, 12),
    (Culture::Khmer, 10),
    (Culture::Thai, 10),
    (Culture::Filipino, 8),
    (Culture::Burmese, 9),
    (Culture::Vietnamese, 10),
];

/// `n` persons, the same for the same `seed`.
pub fn population(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| person(&mut rng)).collect()
}

fn join(parts: &[&str]) -> String {
    parts.join(" ")
}

fn person(rng: &mut Rng) -> Person {
    let culture = rng.weighted(CULTURES);
    let female = rng.chance(0.7);
    let sex = if female { "female" } else { "male" };
    // Mostly adolescents and young adults.
    let age = match rng.below(10) {
        0..=1 => 8 + rng.below(8),
        2..=7 => 16 + rng.below(14),
        _ => 30 + rng.below(30),
    } as i64;
    let (name, alias, nationality) = match culture {
        Culture::IndianHindu => {
            let given = rng.pick(if female { HINDU_F } else { HINDU_M });
            let surname = rng.pick(HINDU_SURNAMES);
            let name = if female {
                match rng.below(10) {
                    0..=1 => join(&[given, rng.pick(&["Devi", "Kumari"])]),
                    2..=3 => join(&[given, rng.pick(&["Devi", "Kumari"]), surname]),
                    _ => join(&[given, surname]),
                }
            } else if rng.chance(0.2) {
                join(&[given, "Kumar", surname])
            } else {
                join(&[given, surname])
            };
            let alias = rng.chance(0.3).then(|| rng.pick(NICK_IN).to_string());
            (name, alias, "IN")
        }
        Culture::IndianMuslim => {
            let name = if female {
                let given = rng.pick(INDIAN_MUSLIM_F);
                let surname = if rng.chance(0.4) {
                    rng.pick(INDIAN_MUSLIM_F_SURNAMES)
                } else {
                    rng.pick(INDIAN_MUSLIM_SURNAMES)
                };
                join(&[given, surname])
            } else {
                let given = rng.pick(INDIAN_MUSLIM_M);
                let surname = rng.pick(INDIAN_MUSLIM_SURNAMES);
                if rng.chance(0.35) {
                    join(&[rng.pick(&["Mohammad", "Mohd", "Md"]), given, surname])
                } else {
                    join(&[given, surname])
                }
            };
            let alias = rng.chance(0.25).then(|| rng.pick(NICK_IN).to_string());
            (name, alias, "IN")
        }
        Culture::BangladeshiMuslim => {
            let name = if female {
                let given = rng.pick(BD_F);
                let surname = rng.weighted(BD_F_SURNAMES);
                if rng.chance(0.15) {
                    join(&["Mst", given, surname])
                } else {
                    join(&[given, surname])
                }
            } else {
                let given = rng.pick(BD_M);
                let surname = rng.pick(BD_M_SURNAMES);
                if rng.chance(0.4) {
                    join(&["Md", given, surname])
                } else {
                    join(&[given, surname])
                }
            };
            let alias = rng.chance(0.3).then(|| rng.pick(NICK_BD).to_string());
            (name, alias, "BD")
        }
        Culture::BangladeshiHindu => {
            let given = rng.pick(if female { BD_HINDU_F } else { BD_HINDU_M });
            let surname = rng.pick(BD_HINDU_SURNAMES);
            let name = if female && rng.chance(0.3) {
                join(&[given, "Rani", surname])
            } else {
                join(&[given, surname])
            };
            let alias = rng.chance(0.25).then(|| rng.pick(NICK_BD).to_string());
            (name, alias, "BD")
        }
        Culture::Nepali => {
            let given = rng.pick(if female { NEPALI_F } else { NEPALI_M });
            let surname = rng.pick(NEPALI_SURNAMES);
            let name = if rng.chance(0.15) {
                let second = if female { "Kumari" } else { "Bahadur" };
                join(&[given, second, surname])
            } else {
                join(&[given, surname])
            };
            let alias = rng.chance(0.3).then(|| rng.pick(NICK_NP).to_string());
            (name, alias, "NP")
        }
        Culture::Khmer => {
            let surname = rng.pick(KHMER_SURNAMES);
            let given = rng.pick(if female { KHMER_F } else { KHMER_M });
            let name = join(&[surname, given]);
            let alias = rng.chance(0.3).then(|| rng.pick(NICK_KH).to_string());
            (name, alias, "KH")
        }
        Culture::Thai => {
            let given = rng.pick(if female { THAI_F } else { THAI_M });
            let surname = rng.pick(THAI_SURNAMES);
            let name = join(&[given, surname]);
            // Thai nicknames are near universal.
            let alias = rng.chance(0.6).then(|| rng.pick(NICK_TH).to_string());
            (name, alias, "TH")
        }
        Culture::Filipino => {
            let given = rng.pick(if female { FILIPINO_F } else { FILIPINO_M });
            let surname = rng.pick(FILIPINO_SURNAMES);
            let name = if rng.chance(0.4) {
                let middle = rng.pick(FILIPINO_SURNAMES);
                join(&[given, middle, surname])
            } else if female && given == "Maria" {
                join(&["Ma.", rng.pick(FILIPINO_F), surname])
            } else {
                join(&[given, surname])
            };
            let alias = rng.chance(0.3).then(|| rng.pick(NICK_PH).to_string());
            (name, alias, "PH")
        }
        Culture::Burmese => {
            let syllables = if female { BURMESE_F } else { BURMESE_M };
            let first = rng.pick(syllables);
            let mut parts = vec![first];
            if rng.chance(0.15) {
                parts.push(first);
            } else {
                parts.push(rng.pick(syllables));
            }
            if rng.chance(0.6) {
                parts.push(rng.pick(syllables));
            }
            let name = join(&parts);
            let honorific = if female { "Ma" } else { "Ko" };
            let alias = rng.chance(0.3).then(|| join(&[honorific, first]));
            (name, alias, "MM")
        }
        Culture::Vietnamese => {
            let surname = rng.weighted(VN_SURNAMES);
            let mut parts = vec![surname];
            if female {
                if rng.chance(0.9) {
                    parts.push("Thi");
                }
                if rng.chance(0.7) {
                    parts.push(rng.pick(VN_F_MIDDLE));
                }
                parts.push(rng.pick(VN_F));
            } else {
                if rng.chance(0.85) {
                    parts.push("Van");
                }
                if rng.chance(0.6) {
                    parts.push(rng.pick(VN_M_MIDDLE));
                }
                parts.push(rng.pick(VN_M));
            }
            let name = join(&parts);
            let alias = rng.chance(0.2).then(|| rng.pick(NICK_VN).to_string());
            (name, alias, "VN")
        }
    };
    Person {
        name,
        alias,
        sex,
        age,
        nationality,
    }
}

/// A realistic other spelling of `name`, the same for the same `seed`: one of its
/// words replaced by a known transliteration variant (from [`VARIANT_GROUPS`]) when
/// it has one, otherwise one typo (a letter deleted, inserted, replaced, or two
/// adjacent letters swapped) in one word. Always differs from `name` unless `name`
/// has no letters.
pub fn spelling_variant(name: &str, seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x0007_E570_F5EE);
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.is_empty() {
        return name.to_string();
    }
    let with_variants: Vec<(usize, &[&str])> = words
        .iter()
        .enumerate()
        .filter_map(|(i, w)| group_of(w).map(|g| (i, g)))
        .collect();
    let mut out: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    if !with_variants.is_empty() && rng.chance(0.75) {
        let (i, group) = with_variants[rng.below(with_variants.len())];
        let others: Vec<&str> = group
            .iter()
            .copied()
            .filter(|g| !g.eq_ignore_ascii_case(words[i]))
            .collect();
        if !others.is_empty() {
            out[i] = rng.pick(&others).to_string();
            return out.join(" ");
        }
    }
    // A typo, preferably in a word long enough to survive one.
    let long: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].chars().count() >= 4)
        .collect();
    let i = if long.is_empty() {
        (0..words.len())
            .max_by_key(|&i| words[i].chars().count())
            .unwrap_or(0)
    } else {
        long[rng.below(long.len())]
    };
    out[i] = typo(words[i], &mut rng);
    out.join(" ")
}

fn group_of(word: &str) -> Option<&'static [&'static str]> {
    VARIANT_GROUPS
        .iter()
        .copied()
        .find(|g| g.iter().any(|v| v.eq_ignore_ascii_case(word)))
}

/// One typo in `word`, never in its first letter (people rarely get that wrong).
fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let letter = |rng: &mut Rng| (b'a' + rng.below(26) as u8) as char;
    if n < 2 {
        chars.push(letter(rng));
        return chars.into_iter().collect();
    }
    loop {
        match rng.below(4) {
            0 if n >= 4 => {
                chars.remove(1 + rng.below(n - 1));
            }
            1 => {
                let at = 1 + rng.below(n);
                chars.insert(at, letter(rng));
            }
            2 => {
                let at = 1 + rng.below(n - 1);
                let c = letter(rng);
                if c.eq_ignore_ascii_case(&chars[at]) {
                    continue;
                }
                chars[at] = c;
            }
            3 if n >= 3 => {
                let at = 1 + rng.below(n - 2);
                if chars[at].eq_ignore_ascii_case(&chars[at + 1]) {
                    continue;
                }
                chars.swap(at, at + 1);
            }
            _ => continue,
        }
        return chars.into_iter().collect();
    }
}
