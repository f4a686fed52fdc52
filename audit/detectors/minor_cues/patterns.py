"""The regular expressions of the minor_cues detector, by cue type (see cues.py for the logic).

Each table row is ``(kind, regex)`` or ``(kind, weight, regex)``; ``kind`` names the pattern in
findings (``attributes.kind``) and keys its trigger words (prefilter.py). Add a row here, its
trigger words there, and a true- and a false-positive sentence in tests/test_minor_cues.py.
"""

from __future__ import annotations

import re
from typing import Final

from audit.detectors.minor_cues.lexicon import (
    AGE,
    CHILD_AGE,
    I_AM,
    OBJECTS,
    ORDINAL,
    PARENT_NOUN,
    SIBLING_NOUN,
    UNITS,
    WORDS_1_17,
    WORDS_10_79,
    ci,
)

Table = tuple[tuple[str, float, re.Pattern[str]], ...]

# ------------------------------------------------------------------ the author's own age
#: After "I'm N": units that make N no age ("I'm 15 minutes late", "I'm 5'3", "I'm 100%").
NOT_AGE_AFTER: Final = ci(
    r"\s*(?:%|percent|x\b|times?\b|minutes?|mins?\b|hours?|hrs?\b|days?\b|weeks?\b|wks?\b"
    r"|months?\b|seconds?|secs?\b|miles?|mi\b|km|kilometers?|meters?|metres?|feet|foot|ft\b"
    r"|inch|inches|in\b(?=\s*tall)|cm\b|pounds?|lbs?\b|kgs?\b|kilos?|stone|points?|pts\b|pages?"
    r"|chapters?|episodes?|levels?|games?|dollars?|bucks|cents?|calories|grand\b|k\b|percentile"
    r"|places?|th\b|st\b|nd\b|rd\b|years?\s+(?!old)|yrs?\s+(?!old)|of\s|out\s+of|for\s+\d"
    r"|on\s+\d|and\s+\d|to\s+\d|-\s*\d|/|:)"
)
_YEARS_OLD: Final = r"(?P<yo>\s*(?:-|\s)?(?:years?|yrs?)(?:\s*|-)old|\s*y/?o\b|\s*y\.o\.)?"
SELF_AGE: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "im_n",
        ci(
            r"\b" + I_AM + r"\s+(?:only\s+|just\s+|now\s+|almost\s+|nearly\s+|like\s+|about\s+"
            r"|still\s+|finally\s+|officially\s+)?(?:a\s+|an\s+)?" + AGE + _YEARS_OLD
        ),
    ),
    ("age_label", ci(r"\b(?:age|my\s+age\s+is|my\s+age)\s*(?::|=|-|is)\s*" + AGE)),
    (
        "n_slash_sex",  # "(15F)", "15/f", "15, female"
        ci(
            r"\(\s*" + AGE + r"\s*/?\s*(?:f|m)\s*\)"
            r"|(?<![\w/])" + AGE.replace("?P<age>", "?P<age2>") + r"\s*/\s*(?:f|m)\b(?![\w'])"
            r"|(?<![\w/])" + AGE.replace("?P<age>", "?P<age3>") + r"\s*(?:/|,)?\s*(?:female|male)\b"
        ),
    ),
    ("sex_slash_n", ci(r"(?<![\w/])(?:f|m)\s*/\s*" + AGE + r"\b")),
    (
        "n_yo",  # "14 y/o": self only after I'm / "as a" / at the start of a line (cues.py)
        ci(
            r"(?<![\w$£€#/.,:-])" + AGE + r"\s*(?:-|\s)?(?:yo|y/o|y\.o\.|yrs?\s*old"
            r"|years?(?:\s+|-)old)\b(?!\s+(?:" + OBJECTS + r")\b)"
        ),
    ),
    (
        "just_turned",
        ci(r"\b(?:just\s+turned|i\s+turned|i['’]?ve\s+turned|turned)\s+" + AGE + r"\b"),
    ),
    ("turning", ci(r"\b(?:turning|turn)\s+" + AGE + r"\b")),
    (
        "will_be",
        ci(
            r"\b(?:i['’]?ll|i\s+will|i['’]?m\s+gonna|i\s+am\s+going\s+to|i['’]?m\s+going\s+to)"
            r"\s+be\s+" + AGE + r"\b"
        ),
    ),
)
#: Before "14 y/o" / "15/f": someone's ("my 14 y/o"), the author's ("I'm a 14 y/o"), or a line
#: start (a profile line). The texts are lower-cased first.
SOMEONES_BEFORE: Final = ci(r"(?:my|our|his|her|their|your)\s+(?:\w+\s+)?$")
I_AM_A_BEFORE: Final = ci(
    r"(?:i\s*['’]?m|i\s+am|im)\s+(?:a\s+|an\s+|only\s+a\s+|just\s+a\s+)?$|as\s+a\s+$"
)
LINE_START_BEFORE: Final = ci(r"(?:^|\n)\s*$|[(:]\s*$")
#: "I just turned 14", "I'll be turning 15".
I_BEFORE_TURNING: Final = ci(r"\b(?:i|i['’]m|im|i\s+am|i\s+just|i['’]ll\s+be|i\s+will\s+be|me)\s*$")
#: A school match that starts with "I'm" ("I'm a sophomore") is the author's.
STARTS_WITH_I_AM: Final = ci(I_AM)
#: Kinds whose subject is the author by construction ("I'm 14", "age: 14", "I'll be 15").
SELF_BY_FORM: Final = frozenset({"im_n", "age_label", "will_be"})
#: Kinds that state the present age outright (the strongest weight).
STATED_NOW: Final = frozenset({"im_n", "age_label", "just_turned", "n_slash_sex", "sex_slash_n"})

BIRTHDAY: Final = ci(
    r"\b(?P<who>my|our|his|her|their|your|\w+['’]s)\s+(?:(?:sweet|big|very\s+own|upcoming|own)\s+)?"
    r"(?P<ord>" + ORDINAL + r")\s+(?:b-?day|birthday|bday|b'day)\b"
    r"|\bhappy\s+(?P<ord2>" + ORDINAL + r")\s+(?:b-?day|birthday|bday)\s+to\s+me\b"
    r"|\b(?P<who3>my|her|his|\w+['’]s)\s+sweet\s+(?P<sw>16|sixteen)\b"
)

# ------------------------------------------------------------------ school
GRADE: Final = ci(
    r"\b(?P<ord>(?:1[0-2]|[1-9])(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh"
    r"|eighth|ninth|tenth|eleventh|twelfth)[\s-]*grade(?:r|rs)?\b"
    r"|\bgrade\s+(?P<gnum>1[0-2]|[1-9]|ten|eleven|twelve|nine|eight|seven|six)\b"
    r"(?![.,]\d|\s*(?:%|percent|students?\s+at|level\s+steel))"
    r"|\b(?:in|into|entering|starting|start|finished|finish|finishing|doing|for|of|through)\s+"
    r"(?:year|yr)\s*(?P<ynum>1[0-3]|[7-9])\b"
    r"|\b(?:year|yr)\s*(?P<ynum2>1[0-3]|[7-9])\s+(?:exams?|students?|class|maths?|english|science"
    r"|history|art|formal|camp|assembly|teachers?|coordinator|level|subjects?|mocks?|reports?"
    r"|results|trip|work\s+experience|options|sats|tests?|biology|chemistry|physics|geography"
    r"|french|german)\b"
)
HS_YEAR: Final = ci(
    r"\b(?:high\s+school|hs|h\.s\.)\s+(?P<hs1>freshman|freshmen|sophomore|junior|senior)\b"
    r"|\b(?P<hs2>freshman|sophomore|junior|senior)\s+(?:year\s+)?(?:in|of|at)\s+(?:high\s+school"
    r"|hs)\b"
    r"|\b" + I_AM + r"\s+(?:now\s+|officially\s+|finally\s+|gonna\s+be\s+|going\s+to\s+be\s+)?"
    r"(?:a|an)\s+(?P<hs3>freshman|sophomore|junior|senior)\b"
    r"(?!\s+(?:in|at)\s+(?:college|university|uni)\b)"
    r"|\b(?P<hs4>freshman|sophomore|junior|senior)\s+year\b"
)
HS_AGE: Final = {
    "freshman": (14, 15), "freshmen": (14, 15), "sophomore": (15, 16), "junior": (16, 17),
    "senior": (17, 18),
}  # fmt: skip
SCHOOL_LEVEL: Final = ci(
    r"\b(?P<lvl>middle\s+school|junior\s+high|jr\.?\s*high|high\s+school|elementary\s+school"
    r"|primary\s+school|secondary\s+school|grade\s+school|intermediate\s+school|sixth\s+form"
    r"|6th\s+form)\b"
)
SCHOOL_LEVEL_AGE: Final = {
    "middle school": (11, 14), "junior high": (12, 14), "jr high": (12, 14),
    "jr. high": (12, 14), "jrhigh": (12, 14), "high school": (14, 18),
    "elementary school": (6, 11), "primary school": (5, 11), "secondary school": (11, 16),
    "grade school": (6, 12), "intermediate school": (10, 13), "sixth form": (16, 18),
    "6th form": (16, 18),
}  # fmt: skip
#: Words after a school level that make it no attendance ("high school reunion").
SCHOOL_LEVEL_NOT: Final = ci(
    r"\s*(?:reunion|sweetheart|friends?|diploma|dropout|graduate|education|teachers?|students?)"
)
#: Attending high school now: "I'm in", "starting", "going into" right before it.
ATTENDING_HIGH_SCHOOL: Final = ci(
    r"(?:\b(?:i['’]?m|im|i\s+am|we['’]?re|we\s+are)\s+(?:\w+\s+){0,2}?in|\bstart(?:ing|s)?"
    r"|\bentering|\bgoing\s+into|\bgo\s+into|\boff\s+to|\bgo\s+to)\s+(?:the\s+)?$"
)
ATTENDING_SCHOOL: Final = ci(
    r"(?:\bin|\bat|\bto|\bstart(?:ing|ed|s)?|\bentering|\binto)\s+(?:the\s+)?$"
)
#: Exams and licences that imply a teen age.
MILESTONE: Final = ci(
    r"\b(?P<m>gcses?|g\.c\.s\.e\.?s?|a[- ]levels?|as[- ]levels?|psats?|p\.s\.a\.t|junior\s+cert"
    r"|leaving\s+cert|learner['’]?s\s+permit|driver['’]?s\s+permit|my\s+permit|permit\s+test"
    r"|drivers?['’]?\s+ed|driver\s+education|drivers?\s+training)\b"
)
MILESTONE_AGE: Final = {
    "gcse": (14, 16), "a-level": (16, 18), "as-level": (16, 17), "psat": (15, 16),
    "junior cert": (14, 15), "leaving cert": (16, 18), "permit": (15, 16), "driver": (15, 16),
}  # fmt: skip
GRAD: Final = ci(
    r"\bclass\s+of\s+(?:['’]\s*)?(?P<y1>(?:19|20)\d\d|\d\d)\b"
    r"|\bc/o\s*(?:['’]\s*)?(?P<y2>(?:19|20)\d\d|\d\d)\b"
    r"|\b(?:i|i['’]ll|i\s+will|we)\s+(?:will\s+)?graduat(?:e|ing)\s+(?:from\s+high\s+school\s+"
    r"|high\s+school\s+)?in\s+(?P<y3>(?:19|20)\d\d)\b"
)
#: "we" / "I" right before a class year said after a name: still the author's class.
SELF_JUST_BEFORE: Final = ci(r"\b(?:i|i['’]m|im|we|we['’]re|my|our)\b\W*$")

#: Teen-life words (SCHOOL_CONTEXT): strong ones first.
SCHOOL_CONTEXT: Final[Table] = (
    (
        "parental_control",
        1.0,
        ci(
            r"\b(?:my\s+)?(?:mom|mum|mommy|mother|dad|daddy|father|parents|rents|folks"
            r"|mom\s+and\s+dad)\s+(?:won['’]?t|wont|will\s+not|doesn['’]?t|dont|don['’]?t"
            r"|didn['’]?t|never)\s+(?:let|allow)\s+me\b"
            r"|(?<!his\s)(?<!her\s)(?<!their\s)(?<!your\s)\b(?:my\s+)?(?:mom|mum|mother|dad|father"
            r"|parents|rents)\s+(?:is\s+|are\s+)?(?:mak(?:es|ing)\s+me|made\s+me|grounded\s+me"
            r"|picked\s+me\s+up|drove\s+me|dropp(?:ed|ing)\s+me\s+off|took\s+away\s+my"
            r"|yell(?:s|ed|ing)\s+at\s+me)\b"
            r"|\b(?:i\s+(?:got|am|was|'m)|im|i['’]m)\s+(?:so\s+)?grounded\b|\bgrounded\s+(?:me|for)\b"
            r"|\bmy\s+curfew\b|\bcurfew\s+is\b|\bask\s+my\s+(?:mom|mum|dad|parents)\s+if\s+i\s+can\b"
        ),
    ),
    (
        "school_life",
        1.0,
        ci(
            r"\b(?:(?:got|have|had|get|serve|serving)\s+(?:a\s+)?detention|detention\s+(?:today"
            r"|tomorrow|after\s+school)|homeroom|study\s+hall|recess|report\s+card|pep\s+rally"
            r"|homecoming|prom|my\s+locker|spirit\s+week|summer\s+school|school\s+dance"
            r"|semi-?formal|sleepover|slumber\s+party|babysitting|babysit|my\s+allowance"
            r"|youth\s+group|band\s+camp|church\s+camp|summer\s+camp|sweet\s+(?:16|sixteen)"
            r"|freshmen|sophomores|8th\s+graders|mid-?terms?)\b"
        ),
    ),
    (
        "school_work",
        0.5,
        ci(
            r"\b(?:homework|h/w|hw|my\s+(?:\w+\s+)?teachers?|(?:math|english|science|history"
            r"|geography|spanish|french|german|latin|biology|bio|chemistry|chem|physics|algebra"
            r"|geometry|gym|p\.?e\.?|art|health|social\s+studies|computer)\s+(?:class|teacher"
            r"|homework|test|quiz|exam|project)|algebra|geometry|pre-?calc|trig|social\s+studies"
            r"|the\s+principal|vice\s+principal|at\s+school|school\s+(?:today|tomorrow|tmrw|starts"
            r"|started|was|is\s+(?:over|out|boring)|sucks)|(?:first|last)\s+day\s+of\s+school"
            r"|back\s+to\s+school|after\s+school|before\s+school|skip(?:ped|ping)?\s+school"
            r"|school['’]s\s+out|no\s+school|summer\s+(?:vacation|break|holidays?)"
            r"|(?:science|school)\s+(?:fair|project)|exams?\s+(?:tomorrow|today|next\s+week)"
            r"|finals\s+(?:week|tomorrow|are)|quiz\s+(?:today|tomorrow)|test\s+(?:today|tomorrow))\b"
        ),
    ),
)
#: Chat markers; TEEN_STYLE needs three distinct ones at 2 or more per 100 words.
TEEN_STYLE: Final = ci(
    r"(?<![\w'])(?:lol+|omg+|lmao|lmfao|rofl|ur|u|r|luv|wat|wut|sum1|ne1|ne\s?more|cuz|coz|b/c"
    r"|hehe+|haha+|xd|ppl|w/e|ily|bff|hott|kewl|sux|dunno|lyk|wanna|gonna|kinda|gotta|ya|yea+h*"
    r"|nvm|idk|brb|ttyl|g2g|gtg|omfg|pplz|plz|pls|thx|thanx|luvs|sooo+|veryyy+)(?![\w'])"
    r"|!!!+|\?\?\?+|:-?\)|:-?p|=\)|<3|\^_\^|:-?d\b"
)

# ------------------------------------------------------------------ someone else's age
_NOT_AGE_UNITS: Final = (
    r"(?!\s*(?:%|percent|minutes?|mins?|hours?|days?|weeks?|months?|miles?|feet|ft|inches"
    r"|pounds?|lbs?|times?|points?|cm|kg|am|pm|a\.m|p\.m|o['’]clock|:|/|dollars?|bucks))"
)
CHILD_AGE_STATED: Final = ci(
    r"\b(?P<who>my|our|his|her|their)\s+(?:(?:little|youngest|oldest|eldest|older|younger|baby"
    r"|big|middle|twin|step|new)\s+)?(?P<noun>" + PARENT_NOUN + r"|" + SIBLING_NOUN + r")"
    r"\s*(?:\(\s*|,\s*|\s+)(?:(?:who|she|he|they)\s*(?:is|['’]s|are|turns|turned|just\s+turned)"
    r"\s+|is\s+|are\s+|aged?\s+|now\s+|turns\s+|turned\s+|just\s+turned\s+)?"
    r"(?:just\s+|only\s+|almost\s+|nearly\s+|now\s+)?"
    + CHILD_AGE
    + r"(?![\d'’\"]|[.,]\d)"
    + _NOT_AGE_UNITS
)
MY_N_YEAR_OLD: Final = ci(
    r"\b(?P<who>my|our|his|her|their)\s+(?:(?:little|almost|nearly|new|precious|sweet|beautiful"
    r"|gorgeous|baby)\s+)?" + CHILD_AGE + r"(?:\s*|-)(?P<unit>yo\b|y/o\b|yrs?(?:\s*|-)old\b"
    r"|years?(?:\s+|-)old\b|month(?:s)?(?:\s+|-)old\b|mo\b)(?:\s+(?P<noun>\w+))?"
)
KIDS_ARE: Final = ci(
    r"\b(?:my|our)\s+(?:kids|children|boys|girls|sons|daughters)\s+(?:are\s+(?:now\s+)?|,\s*"
    r"|\(\s*)" + CHILD_AGE + r"\s*(?:,|and|&)\s*(?:1[0-7]|[1-9]|" + WORDS_1_17 + r")\b"
)

# ------------------------------------------------------------------ adults
ADULT_SELF: Final[Table] = (
    (
        "spouse",
        -2.5,
        ci(
            r"\b(?:my|our)\s+(?:(?:ex|ex-|former|late|future|soon-to-be)\s*-?\s*)?(?:husband|hubby"
            r"|hubbie|wife|spouse|husbands|dh)\b|\bour\s+(?:wedding\s+)?anniversary\b"
            r"|\bmy\s+wedding\s+(?:day|anniversary)\b|\bmy\s+in-?laws\b|\bmother-in-law\b"
            r"|\bfather-in-law\b"
        ),
    ),
    (
        "parent",
        -2.0,
        ci(
            r"\b(?:my|our)\s+(?:(?:little|youngest|oldest|eldest|older|younger|middle|two|three"
            r"|four|twin|step)\s+)?(?:son|daughter|sons|daughters|kids|children|stepson"
            r"|stepdaughter|step-son|step-daughter|toddler|grandchildren|grandkids|grandson"
            r"|granddaughter)\b(?!\s+(?:of\s+a\b|of\s+god|of\s+the))"
            r"|\bi['’]?m\s+(?:a\s+)?(?:mom|mother|dad|father|parent|pregnant)\b"
            r"|\bi\s+am\s+(?:a\s+)?(?:mom|mother|father|parent|pregnant)\b"
            r"|\bas\s+a\s+(?:mom|mother|dad|father|parent)\b|\bmy\s+kids['’]\b|\bdaycare\b"
        ),
    ),
    (
        "teacher",
        -2.5,
        ci(
            r"\bi\s+teach\b|\bi['’]?m\s+a\s+(?:\w+\s+)?teacher\b|\bi\s+am\s+a\s+(?:\w+\s+)?teacher\b"
            r"|\bmy\s+(?:own\s+|new\s+|former\s+)?(?:students|pupils)\b|\bmy\s+classroom\b"
        ),
    ),
    (
        "finances_home",
        -2.0,
        ci(
            r"\b(?:my|our)\s+(?:mortgage|landlord|landlady|401k|401\(k\)|pension|retirement"
            r"|property\s+tax(?:es)?|tax\s+return|employees|staff)\b|\bmortgage\s+payment\b"
        ),
    ),
    (
        "higher_ed_career",
        -2.0,
        ci(
            r"\b(?:grad(?:uate)?\s+school|my\s+(?:thesis|dissertation|phd|ph\.d\.?|masters?"
            r"|master['’]s|mba|postdoc|tenure|residency)|law\s+school|med(?:ical)?\s+school"
            r"|my\s+(?:first|new|old|last|current)\s+job|my\s+(?:\w+\s+)?(?:clients|patients"
            r"|employer))\b"
        ),
    ),
    (
        "adult_decade",
        -3.0,
        ci(
            r"\b(?:in\s+my|i['’]?m\s+in\s+my)\s+(?:early\s+|mid\s+|late\s+|mid-)?(?:20s|twenties"
            r"|30s|thirties|40s|forties|50s|fifties)\b"
        ),
    ),
)
ADULT_CONTEXT: Final[Table] = (
    (
        "work_home",
        -0.75,
        ci(
            r"\b(?:at\s+work|my\s+boss|my\s+(?:co-?workers?|colleagues?|coworkers)|the\s+office"
            r"|my\s+office|my\s+cubicle|my\s+commute|my\s+apartment|my\s+flat|my\s+rent"
            r"|rent\s+is\s+due|my\s+paycheck|my\s+salary|my\s+taxes|paid\s+bills|the\s+bills"
            r"|i\s+voted|jury\s+duty|my\s+fianc[eé]e?|business\s+trip|conference\s+call"
            r"|happy\s+hour|after\s+work|my\s+lease|my\s+resume|my\s+degree|my\s+career"
            r"|after\s+college|since\s+college|my\s+college\s+days)\b"
        ),
    ),
)
PAST_SELF: Final[Table] = (
    (
        "when_i_was_n",
        0.0,  # by the age: past_age_weight
        ci(
            r"\b(?:when|since|back\s+when|while|because|cause)\s+i\s+was\s+(?:about\s+|around\s+"
            r"|like\s+|only\s+|just\s+)?(?:a\s+)?(?P<age>\d{1,2}|"
            + WORDS_10_79
            + r"|"
            + "|".join(UNITS[1:10])
            + r")(?![\d'’\"]|[.,]\d)(?:\s*(?:years?\s+old|yrs?\s+old"
            r"|y/?o))?\b(?!\s*(?:%|minutes?|hours?|days?|weeks?|months?|miles?|feet|pounds?))"
        ),
    ),
    (
        "at_age_n",
        0.0,
        ci(
            r"\b(?:at\s+(?:the\s+)?age\s+(?:of\s+)?|as\s+a\s+)(?P<age>1[0-7]|"
            + "|".join(UNITS[10:18])
            + r")(?:[\s-]*year[\s-]*old)?\b(?=[^.!?\n]{0,40}\b(?:i|my)\b)"
        ),
    ),
    (
        "reminisce_teen",
        -2.0,
        ci(
            r"\b(?:when\s+i\s+was\s+(?:a\s+)?(?:teen|teenager|in\s+my\s+teens|in\s+college"
            r"|at\s+university|at\s+uni|in\s+grad\s+school)|in\s+my\s+teens|as\s+a\s+(?:teen"
            r"|teenager)|back\s+in\s+college|(?:during|in)\s+my\s+college\s+years"
            r"|my\s+teenage\s+years|when\s+i\s+was\s+younger)\b"
        ),
    ),
    (
        "reminisce_middle_school",
        -0.5,  # a 16-year-old says this about three years ago too
        ci(
            r"\bwhen\s+i\s+was\s+in\s+(?:middle\s+school|junior\s+high|jr\.?\s*high"
            r"|elementary(?:\s+school)?|primary\s+school|grade\s+school)\b"
        ),
    ),
    (
        "reminisce_school",
        -1.5,
        ci(
            r"\b(?:when\s+i\s+was\s+in\s+(?:high\s+school|hs)|back\s+in\s+(?:high\s+school|hs)"
            r"|in\s+high\s+school\s+i\s+(?:was|used|had)|(?:since|after)\s+high\s+school"
            r"|high\s+school\s+reunion|my\s+high\s+school\s+(?:days|years|reunion)"
            r"|(?:graduated|graduating)\s+(?:from\s+)?high\s+school\s+in\s+(?:19|20)\d\d)\b"
        ),
    ),
)
YEARS_AGO: Final = ci(
    r"\b(?P<ago>\d{1,2}|" + "|".join(UNITS[2:20]) + r"|twenty|thirty)\s+years?\s+ago\b"
)

# ------------------------------------------------------------------ hashtags
#: Child-focused hashtags (kept from minor_cues 2; a grade or school-level tag added). They make
#: an item minor-related but weigh nothing for the author: #momlife is a parent's.
MINOR_HASHTAG: Final = ci(
    r"#(?:kidsofinstagram|instakids|kidstagram|toddlerlife|toddlersofinstagram|babiesofinstagram"
    r"|babyfirsts|kidlife|schoolkids|teenlife|teensofinstagram|backtoschool|firstdayofschool"
    r"|firstdayofkindergarten|momlife|momof\w+|boymom|girlmom|kidsfashion|kidsactivities"
    r"|middleschool|elementaryschool|(?:[1-9]|1[0-2])(?:st|nd|rd|th)grade)\b"
)
