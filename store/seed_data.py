"""Fixed reference data for the demo network: the companies' circles and a pool of names.

Circle names are the real operation-and-maintenance circles of the three Madhya Pradesh
distribution companies (city circles first, then the company's own O&M circle, then the
district circles). Names are common Madhya Pradesh given names and surnames in both scripts.
"""

CIRCLES: dict[str, list[tuple[str, str]]] = {
    "EZ": [
        ("Jabalpur City", "जबलपुर शहर"), ("Jabalpur O&M", "जबलपुर संचालन-संधारण"),
        ("Katni", "कटनी"), ("Sagar", "सागर"), ("Damoh", "दमोह"), ("Chhindwara", "छिंदवाड़ा"),
        ("Seoni", "सिवनी"), ("Balaghat", "बालाघाट"), ("Mandla", "मंडला"), ("Rewa", "रीवा"),
        ("Satna", "सतना"), ("Sidhi", "सीधी"), ("Shahdol", "शहडोल"), ("Chhatarpur", "छतरपुर"),
        ("Tikamgarh", "टीकमगढ़"), ("Panna", "पन्ना"), ("Narsinghpur", "नरसिंहपुर"),
        ("Singrauli", "सिंगरौली"), ("Dindori", "डिंडोरी"), ("Umaria", "उमरिया"),
        ("Anuppur", "अनूपपुर"),
    ],
    "CZ": [
        ("Bhopal City", "भोपाल शहर"), ("Bhopal O&M", "भोपाल संचालन-संधारण"),
        ("Sehore", "सीहोर"), ("Raisen", "रायसेन"), ("Vidisha", "विदिशा"),
        ("Narmadapuram", "नर्मदापुरम"), ("Betul", "बैतूल"), ("Harda", "हरदा"),
        ("Rajgarh", "राजगढ़"), ("Gwalior City", "ग्वालियर शहर"), ("Gwalior O&M", "ग्वालियर संचालन-संधारण"),
        ("Morena", "मुरैना"), ("Bhind", "भिंड"), ("Datia", "दतिया"), ("Shivpuri", "शिवपुरी"),
        ("Guna", "गुना"), ("Ashoknagar", "अशोकनगर"), ("Sheopur", "श्योपुर"),
    ],
    "WZ": [
        ("Indore City", "इंदौर शहर"), ("Indore O&M", "इंदौर संचालन-संधारण"),
        ("Ujjain", "उज्जैन"), ("Dewas", "देवास"), ("Dhar", "धार"), ("Jhabua", "झाबुआ"),
        ("Alirajpur", "अलीराजपुर"), ("Khargone", "खरगोन"), ("Barwani", "बड़वानी"),
        ("Khandwa", "खंडवा"), ("Burhanpur", "बुरहानपुर"), ("Ratlam", "रतलाम"),
        ("Mandsaur", "मंदसौर"), ("Neemuch", "नीमच"), ("Shajapur", "शाजापुर"),
        ("Agar Malwa", "आगर मालवा"),
    ],
}

# Share of the helpline's consumers per company (East ~65 lakh, West ~55-60 lakh, Central
# somewhat fewer).
COMPANY_SHARE = {"EZ": 0.36, "CZ": 0.31, "WZ": 0.33}
# First digit of generated IVRS numbers and painted transformer codes, per company.
COMPANY_DIGIT = {"EZ": "3", "CZ": "5", "WZ": "7"}

GIVEN_NAMES: list[tuple[str, str]] = [
    ("Ramesh", "रमेश"), ("Suresh", "सुरेश"), ("Sunita", "सुनीता"), ("Anita", "अनीता"),
    ("Rajesh", "राजेश"), ("Mahesh", "महेश"), ("Kavita", "कविता"), ("Geeta", "गीता"),
    ("Santosh", "संतोष"), ("Manoj", "मनोज"), ("Rekha", "रेखा"), ("Pooja", "पूजा"),
    ("Dinesh", "दिनेश"), ("Mukesh", "मुकेश"), ("Savitri", "सावित्री"), ("Lakshmi", "लक्ष्मी"),
    ("Ramprasad", "रामप्रसाद"), ("Shivraj", "शिवराज"), ("Kamla", "कमला"), ("Meena", "मीना"),
    ("Arvind", "अरविंद"), ("Vinod", "विनोद"), ("Neha", "नेहा"), ("Priya", "प्रिया"),
    ("Imran", "इमरान"), ("Salma", "सलमा"), ("Gopal", "गोपाल"), ("Bhagwati", "भगवती"),
    ("Harish", "हरीश"), ("Rambai", "रामबाई"), ("Devendra", "देवेंद्र"), ("Shyamlal", "श्यामलाल"),
]
SURNAMES: list[tuple[str, str]] = [
    ("Sharma", "शर्मा"), ("Verma", "वर्मा"), ("Yadav", "यादव"), ("Patel", "पटेल"),
    ("Singh", "सिंह"), ("Tiwari", "तिवारी"), ("Mishra", "मिश्रा"), ("Chouhan", "चौहान"),
    ("Ahirwar", "अहिरवार"), ("Kushwaha", "कुशवाहा"), ("Jain", "जैन"), ("Khan", "ख़ान"),
    ("Rajput", "राजपूत"), ("Dubey", "दुबे"), ("Soni", "सोनी"), ("Lodhi", "लोधी"),
    ("Meena", "मीणा"), ("Patidar", "पाटीदार"), ("Gupta", "गुप्ता"), ("Thakur", "ठाकुर"),
    ("Bhil", "भील"), ("Gond", "गोंड"), ("Raghuvanshi", "रघुवंशी"), ("Shrivastava", "श्रीवास्तव"),
]
APPLICATION_STATUSES = [
    "received", "inspection", "demand_note", "meter_installation", "connected", "rejected",
]
