"""Commitment language: the lexicon of pledge wordings (cue, kind, strength) and the words around a cue
that make it a question, a condition, a hedge, a negation or a forecast instead of a pledge."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .money import ISO_CODES


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern
    kind: str
    strength: float
    weak: bool = False  # a modal or a reporting verb: only when nothing firmer is there
    reported: bool = False  # "would": a pledge only in reported speech
    modal: bool = False  # will/would: weaker when its subject is not someone who can pledge


def _cue(pattern, kind, strength, **flags):
    return Cue(re.compile(pattern, re.IGNORECASE), kind, strength, **flags)


_ISO = "(?:" + "|".join(ISO_CODES) + ")"  # "CAD 300 million", "SEK 8 billion"
_OBJECT = r"(?:\s+[\w'.,$€£¥%-]+){0,6}?"
# An amount of money ahead: "$5bn", "US$1.2 billion", "Sh10 billion", "3 billion yen" (not "4G coverage").
_MONEY = (
    r"(?:(?:[$€£¥₦₹]|US\$|[AC]\$|K?Sh|Kshs?|" + _ISO + r"|Rs|SR|R|K(?=\d[\d,.]*\s?(?:billion|million|bn)))\s?\d"
    r"|\d[\d,.]*(?:\s|-)?(?:trillion|billion|million|bn|mn)\b)"
)
_AID = r"(?:loans?|grants?|credit|credits|lines?\s+of\s+credit|financing|funding|funds|aid|support|assistance)"
# "Our job is to close it", "Our mission is to drive...": what someone is for, not what they pledge.
_NOT_A_ROLE = "".join(
    rf"(?<!\b{word}\s)"
    for word in ("job", "mission", "role", "task", "purpose", "idea", "point", "challenge", "answer", "goal", "aim")
)
# "at least $5bn", "a further €200 million": the words that may come between a verb and its sum.
_ABOUT = r"(?:(?:at\s+least|up\s+to|about|around|nearly|some|more\s+than|over|another|a\s+further|an\s+additional)\s+)?"
CUES = (
    # Requests.
    _cue(r"\burg(?:ed|es|ing|e)\b", "request", 0.85),
    # Not the noun: "Heads noted the calls for discussions".
    _cue(r"(?<!\bthe\s)\bcall(?:ed|s|ing)?\s+(?:on|upon|for)\b", "request", 0.85),
    _cue(r"\bpress(?:ed|es|ing)?\s+for\b", "request", 0.85),
    _cue(r"\bpress(?:ed|es|ing)" + _OBJECT + r"\s+to\s+(?!the\b|a\b|an\b)", "request", 0.8),
    # "ask the operators, especially on the deep-water blocks, to bring forward": an aside within the object.
    _cue(
        r"\bask(?:ed|s|ing)?(?!\s+(?:whether|if)\b)(?:\s+[\w'.,$€£¥%-]+){0,8}?\s+to\s+(?!the\b|a\b|an\b)",
        "request",
        0.8,
    ),
    _cue(r"\bappeal(?:ed|s|ing)?(?:\s*,[^,]{1,30},)?\s+(?:to|for)\b", "request", 0.85),
    # "So I'm asking every business leader in this room: go and see".
    _cue(r"\b(?:I'm|I\s+am|we're|we\s+are)\s+(?:now\s+|also\s+)?asking\b", "request", 0.75),
    _cue(r"\bencourag(?:e|es|ed|ing)(?:\s+[\w'-]+){0,12}?\s+to\s+(?!the\b|a\b|an\b)", "request", 0.7),
    # "Every nation needs to bring its highest ambitions", "all countries must".
    _cue(r"\b(?:every|each|all)\s+\w+\s+(?:needs?\s+to|must)\b", "request", 0.6),
    _cue(r"\brequest(?:ed|s|ing)\b", "request", 0.75),
    # A declaration's operative "REQUEST the Commission to submit...".
    _cue(r"\brequest\s+(?=(?:the|all|our|its|member)\b)", "request", 0.75),
    _cue(r"\bdemand(?:ed|s|ing)\b", "request", 0.75),
    _cue(r"\binvit(?:e|ed|es|ing)(?:\s+[\w'.-]+){0,14}?\s+to\b", "request", 0.65),
    # A summit's instructions: "We task our Finance Ministers to", "Summit directed the Secretariat to".
    _cue(
        r"\b(?:task(?:ed|s)?|instruct(?:ed|s)?|direct(?:ed|s)|mandat(?:ed|es))(?:,?\s+[\w'./-]+){1,12}?,?\s+to\s+"
        r"(?!the\b|a\b|an\b)",
        "request",
        0.75,
    ),
    _cue(r"\btask(?:ed|s)?\s+(?:[\w'.-]+\s+){1,6}?with\s+[a-z]+ing\b", "request", 0.75),
    # A board's or a committee's advice: "The Board recommends that shareholders support the transaction".
    _cue(r"\brecommend(?:s|ed)?\s+that\b", "request", 0.7),
    _cue(r"\b(?:we|you|they)\s+(?:must|need\s+to)\b", "request", 0.6),
    # Statements of intent.
    _cue(r"\bstatement\s+of\s+intent\b", "intent", 0.85),
    _cue(r"\bletter\s+of\s+intent\b", "intent", 0.85),
    _cue(r"\bmemorand(?:um|a)\s+of\s+understanding\b", "intent", 0.85),
    _cue(r"\bMoUs?\b", "intent", 0.8),
    _cue(r"\bintend(?:s|ed|ing)?\s+to\b", "intent", 0.85),
    # "China proposes to hold a conference", "welcomed Lam Research's proposal to train 60,000 engineers".
    _cue(r"\bpropos(?:es|ed)\s+to\s+(?!the\b|a\b|an\b)", "intent", 0.75),
    _cue(r"\bproposal\s+to\s+(?!the\b|a\b|an\b)[a-z]+\b", "intent", 0.65),
    # "Construction is scheduled to begin in January 2023".
    _cue(
        r"\b(?:is|are)\s+(?:now\s+)?(?:scheduled|slated|due)\s+to\s+(?!be\s+(?:held|released|published)\b)",
        "intent",
        0.6,
    ),
    # "its intention to", "the intention of the EIB to open an office".
    _cue(r"\bintention\s+(?:of\s+[^,;]{1,60}?\s+)?to\b", "intent", 0.8),
    _cue(r"\bin\s+(?:talks|discussions|negotiations)\s+with\b", "intent", 0.6),
    _cue(r"\b(?:is|are|am)\s+(?:now\s+|also\s+)?(?:talking|negotiating)\s+(?:to|with)\b", "intent", 0.6),
    # Reviews.
    _cue(
        r"\b(?:open|willing|ready|prepared)\s+to\s+(?:examin|review|stud|consider|look|reconsider|assess)\w*",
        "review",
        0.8,
    ),
    _cue(r"\bto\s+(?:study|review|examine|reconsider|re-examine|assess|look\s+into)\b", "review", 0.8),
    _cue(r"\b(?:will|would)\s+(?:study|review|examine|reconsider|look\s+into|consider)\b", "review", 0.75),
    _cue(
        r"\b(?:is|was|are|were|be|am)\s+(?:already\s+|now\s+|also\s+|still\s+)?(?:studying|reviewing|examining|"
        r"reconsidering|considering|evaluating|assessing|looking\s+(?:at|into))\b",
        "review",
        0.7,
    ),
    # Agreements.
    # Not the noun: "with this signing", "the signing of".
    _cue(r"\b(?:sign(?:ed|s)?|(?<!\bthe\s)(?<!\bthis\s)(?<!\ba\s)signing)\b(?!\s+(?:of|that)\b)", "agreement", 0.85),
    # Not an opinion: "I agree with him", "The Prime Ministers agreed that the movement of people is a pillar".
    _cue(
        r"\bagree(?:d|s|ing)?\b(?!\s+with\s+(?:him|her|them|you|me|us|that|this|it)\b)"
        r"(?!\s+that\s+[^,;:]{1,100}?\s+(?:is|are|was|were|remains?|cannot|can\s*not)\b)"
        # A declaration's chapeau: "Have agreed on the following:".
        r"(?!\s+(?:on\s+|to\s+)?(?:the\s+following|as\s+follows)\b)",
        "agreement",
        0.85,
    ),
    _cue(
        r"\badopt(?:ed|s|ing)?\s+(?:a|an|the)\s+(?:[\w'-]+\s+){0,4}?(?:deal|agreement|declaration|resolution|plan|"
        r"framework|roadmap|pact|accord|treaty|strategy|charter|communiqu[eé])\b",
        "agreement",
        0.8,
    ),
    _cue(
        r"\bconclud(?:ed|es|ing)\s+(?:\w+\s+){0,3}?(?:agreement|deal|negotiations|talks|accord|pact|treaty)\b",
        "agreement",
        0.8,
    ),
    # "have reached an agreement in principle on a new sales pact".
    _cue(r"\breach(?:ed|es)?\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}?(?:agreement|deal|accord)\b", "agreement", 0.75),
    # An order placed is a contract: "confirmed a firm order for 12 aircraft", "has placed orders for 20".
    _cue(
        r"\b(?:plac(?:ed|es|ing)|confirm(?:ed|s|ing)|sign(?:ed|s)?)\s+(?:an?\s+)?(?:firm\s+)?orders?\s+for\b",
        "agreement",
        0.75,
    ),
    # Targets.
    # Not the participle: "proposals of mediation aimed at a peaceful resolution".
    _cue(r"\baim(?:s|ing)?\s+(?:to|at)\b|\baimed\s+to\b|\b(?:is|are|was|were|be|been)\s+aimed\s+at\b", "target", 0.85),
    _cue(r"\btarget(?:s|ed|ing)?\s+(?:to|of)\b", "target", 0.75),
    # The verb with its goal: "targets an increase in the tax-to-GDP ratio", "is targeted for the first half of 2023".
    _cue(r"\btarget(?:s|ing)\s+(?:an?|\d)", "target", 0.7),
    _cue(r"\b(?:is|are)\s+(?:now\s+)?targeted\s+for\b", "target", 0.65),
    _cue(r"\baim(?:s|ing)?\s+for\b", "target", 0.7),
    # "set a new target", "has set itself the goal of", "We have set ourselves three goals".
    _cue(
        r"\bset\s+(?:(?:it|them|our|him|her|my)sel(?:f|ves)\s+)?(?:a|the|an|\w+)\s+(?:\w+\s+)?(?:targets?|goals?)\b",
        "target",
        0.8,
    ),
    _cue(r"\bgoal\s+of\b", "target", 0.65),
    _cue(r"\b(?:aim|ambition|objective)\s+of\s+[a-z]+ing\b", "target", 0.65),
    _cue(r"\b(?:their|its|our|his|her|the)\s+(?:shared\s+)?ambition\s+to\b", "target", 0.7),
    _cue(r"\b(?:is|are)\s+(?:also\s+)?targeting\b", "target", 0.75),
    _cue(r"\bon\s+(?:a|the)\s+path\s+to\b|\bon\s+track\s+to\b", "target", 0.65),
    # "Our aim is 15 gigawatts by 2030", "My ambition is that...".
    _cue(
        r"\b(?:target|goal|aim|objective|ambition)(?:\s+for\s+[\w-]+(?:\s+[\w-]+)?)?\s+is\s+"
        r"(?:to\b|that\b|for\b|(?=" + _ABOUT + r"[$€£¥₦₹]?\d))",
        "target",
        0.8,
    ),
    _cue(r"\badopt(?:ed|s|ing)?\s+(?:a|an|the)\s+(?:[\w'-]+\s+){0,3}?(?:target|goal)\b", "target", 0.8),
    _cue(
        r"\bapprov(?:ed|es)\s+(?:a|an|the)\s+(?:[\w'-]+\s+){0,3}?(?:goal|target|deal|agreement|plan|framework|declaration|"
        r"request|proposal|application|admission|establishment)\b",
        "agreement",
        0.75,
    ),
    _cue(
        r"\bs(?:eeks?|eeking|ought)\s+to\s+(?:mobili[sz]e|raise|attract|reach|achieve|double|triple|halve)\b",
        "target",
        0.8,
    ),
    # Promises.
    _cue(r"\bpromised\b|\bpromis(?:es|ing)\s+to\b|\bpromise\s+to\b", "promise", 0.85),
    _cue(
        r"\bpledg(?:ed|ing)\b(?!\s+(?:event|conference|session|summit|drive|round)s?\b)|\bpledges?\s+to\b",
        "promise",
        0.85,
    ),
    _cue(r"\bvow(?:ed|s|ing)?\b", "promise", 0.85),
    _cue(r"\boffered\b|\boffers?\s+to\b", "promise", 0.7),
    # A replenishment's roll call: "The United Kingdom confirmed a contribution of GBP 1.44 billion".
    _cue(
        r"\bconfirm(?:ed|s|ing)?\s+(?:(?:a|an|its|their|the|his|her|our)\s+)?(?:[\w-]+\s+){0,2}?(?:contributions?|"
        r"pledges?|commitments?)\b|\bconfirm(?:ed|s)?\s+(?:the\s+)?" + _ABOUT + r"(?=" + _MONEY + r")",
        "promise",
        0.8,
    ),
    _cue(
        # "Senegal commits, with the support of its partners, to design...": the aside is skipped.
        r"\bcommit(?:ted|s|ting)?(?:\s*,[^,]{0,120},(?=\s+to\b))?\s+"
        + _ABOUT
        + r"(?:to|itself|themselves|herself|himself|an?\b|some\b|[$€£¥₦₹]|US\$|C\$|K?Sh(?=\s?\d)|"
        + _ISO
        + r"(?=\s?\d)|\d)",
        "promise",
        0.85,
    ),
    # "has extended up to Sh10 billion", "extended a $500 million loan", "extended support to".
    _cue(
        r"\bextend(?:ed|s|ing)?\s+(?:(?:up\s+to|about|around|nearly|some|an?|another|further|additional|new)\s+)*"
        r"(?:(?=" + _MONEY + r")|(?:(?!the\b)[\w-]+\s+)?" + _AID + r"\b)",
        "promise",
        0.75,
    ),
    # A pledge named as a noun: "included a pledge that France would...", "made a commitment to...".
    _cue(
        r"\b(?:a|an|the|its|his|her|their|our|my|new|fresh|[\w-]+'s?)\s+(?:[\w-]+\s+)?(?:pledge|promise|commitment|vow|"
        r"undertaking)\s+"
        r"(?:that|to|of)\b",
        "promise",
        0.8,
    ),
    _cue(r"\bundert(?:ook|akes|ake|aken)\s+to\b", "promise", 0.8),
    # "Our commitment is to reduce emissions by 30%".
    _cue(r"\b(?:commitment|pledge|promise|plan|intention|undertaking)\s+is\s+to\b", "promise", 0.8),
    _cue(r"(?<!\bhad\s)\bset\s+out\s+to\b", "promise", 0.75),
    _cue(r"\breadiness\s+to\b", "promise", 0.7),
    # "welcomed the decision of the Qatar Investment Authority to open an office".
    _cue(r"\b(?:decision|offer)\s+of\s+[^,;]{1,60}?\s+to\b", "promise", 0.7),
    # A communique's operative "The Authority decides that...".
    _cue(r"\bdecides?\s+that\b", "promise", 0.7),
    # "The EU reiterated its continued support for the accession of...".
    _cue(
        r"\b(?:reiterat|reaffirm)\w*\s+(?:its|their|our|his|her)\s+(?:continued\s+|full\s+|strong\s+|firm\s+)?"
        r"support\s+for\b",
        "promise",
        0.7,
    ),
    # "The EU is to provide the Lebanese Armed Forces with...": a plan announced.
    _cue(_NOT_A_ROLE + r"\b(?:is|are)\s+to\s+(?!be\b)[a-z]+\b", "promise", 0.7, modal=True),
    # "Our strategy commits the bank to direct 40 percent of its financing to climate".
    _cue(r"\bcommit(?:s|ted)?\s+(?:the|its|our|their|his|her)\s+(?:[\w-]+\s+){0,3}?to\b", "promise", 0.8),
    # "The first declaration establishes an Indo-German partnership", "agreed to establish a joint committee".
    _cue(
        r"\bestablish(?:es|ed)?\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,4}?(?:partnership|fund|facility|mechanism|"
        r"commission|council|committee|platform|centre|center|office|working\s+group|task\s+force|dialogue)\b",
        "promise",
        0.75,
    ),
    _cue(r"\bextend(?:s|ed)?\s+the\s+mandate\b", "agreement", 0.7),
    # "This Budget provides a $16.68 billion boost for health".
    _cue(
        r"\b(?:budget|plan|package|programme|program|bill)\s+(?:provides|includes|allocates|sets\s+aside|earmarks)\s+"
        r"(?:an?\s+)?" + _ABOUT + r"(?=" + _MONEY + r")",
        "promise",
        0.7,
    ),
    # A speaker's own work under way: "We are building two big projects", "we are expanding into...".
    _cue(
        r"\b(?:we|I)\s+(?:are|am)\s+(?:now\s+|also\s+|currently\s+)?(?:building|expanding|opening|developing|preparing|"
        r"exploring|doubling|increasing|hiring|training)\b|\bwe're\s+(?:building|expanding|opening|developing)\b",
        "promise",
        0.7,
    ),
    # Budget lines: "Education is allocated SAR 201 billion", "Agriculture gets K9.3 billion".
    _cue(r"\b(?:is|are|has\s+been|have\s+been)\s+allocated\b", "promise", 0.7),
    _cue(r"\b(?:gets|receives|will\s+receive)\s+" + _ABOUT + r"(?=" + _MONEY + r")", "promise", 0.75),
    _cue(r"(?<!\bso\sfar\s)\bmobili[sz]ed\s+" + _ABOUT + r"(?=" + _MONEY + r")", "promise", 0.7),
    # A budget speech's form: "I propose to provide Rs 5.54 lakh crore", "we propose aggregate expenditure of".
    _cue(r"\b(?:I|we)\s+(?:now\s+|also\s+|further\s+|therefore\s+)?propose\b", "promise", 0.8),
    _cue(r"\bdecid(?:ed|es|e|ing)\s+to\b", "promise", 0.75),
    # "EAGL has entered into a Share Purchase Agreement".
    _cue(
        r"\bent(?:er|ers|ered|ering)\s+into\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,4}?(?:agreement|deal|contract|"
        r"concession|partnership|pact|arrangement)\b",
        "agreement",
        0.8,
    ),
    # "launched the SADC Regional Humanitarian Appeal", "the two governments launch a joint initiative".
    _cue(
        r"\blaunch(?:es|ed|ing)?\s+(?:a|an|the|its|their|our)\s+(?:[\w-]+\s+){0,5}?(?:initiative|fund|programme|"
        r"program|partnership|facility|appeal|plan|platform|alliance|campaign|scheme)\b",
        "promise",
        0.75,
    ),
    # "We are giving Pharmac $1.774 billion", "Roughly $2bn of that is earmarked for ports".
    _cue(r"\b(?:is|are|am)\s+(?:also\s+)?giving\s+(?:[\w-]+\s+){0,3}?(?=" + _MONEY + r")", "promise", 0.75),
    _cue(r"\b(?:is|are|has\s+been|have\s+been|will\s+be)\s+earmarked\s+for\b", "promise", 0.7),
    # "France's own commitment is 110 million euros".
    _cue(
        r"\b(?:commitment|pledge|contribution)\s+(?:is|will\s+be|amounts\s+to|comes\s+to)\s+"
        + _ABOUT
        + r"(?="
        + _MONEY
        + r")",
        "promise",
        0.75,
    ),
    # "wants to more than quadruple that", "wants to double exports".
    _cue(
        r"\bwants?\s+to\s+(?:more\s+than\s+)?(?:double|triple|quadruple|halve|raise|increase|reach|cut|reduce|lift|"
        r"grow|boost)\b",
        "target",
        0.7,
    ),
    # Money set aside: "we are allocating Rs 35,219 crore", "put forward US$1 billion", "matched it with $100m".
    _cue(
        r"\b(?:allocat(?:e|es|ed|ing)|earmark(?:s|ed|ing)?|set(?:ting|s)?\s+aside|put(?:ting|s)?\s+(?:forward|up))\s+"
        + _ABOUT
        + r"(?="
        + _MONEY
        + r")",
        "promise",
        0.75,
    ),
    _cue(r"\bmatch(?:ed|es)\b[^,;.]{0,60}?\bwith\s+" + _ABOUT + r"(?=" + _MONEY + r")", "promise", 0.75),
    _cue(r"\bresolve[sd]?\s+to\b", "promise", 0.75),
    # A board's decision to lend: "The Board approved an augmentation of the arrangement by about US$5 billion".
    _cue(
        r"\bapprov(?:ed|es)\s+(?:(?:a|an|the)\s+)?(?:new\s+|further\s+|additional\s+|fresh\s+)?(?:[$€£¥]?[\d.,]+\s*"
        r"(?:billion|million|bn|m)?\s+)?(?:[\w-]+\s+)?(?:loan|credit|grant|financing|augmentation|disbursement|"
        r"package|facility)s?\b",
        "promise",
        0.75,
    ),
    # A declaration's operative words: "hereby launch a Just Energy Transition Partnership".
    _cue(r"\bhereby\s+(?:launch|establish|create|commit|decide|resolve|adopt)\w*", "promise", 0.8),
    _cue(r"\bguarantee(?:d|s)?\b", "promise", 0.7),
    # Not "welcomed the plans to...": someone else's plans, as a noun.
    _cue(r"(?<!\bthe\s)(?<!\bhis\s)(?<!\bher\s)(?<!\btheir\s)\bplan(?:s|ned|ning)?\s+to\b", "promise", 0.8),
    _cue(r"\bs(?:eeks?|eeking|ought)\s+to\b", "promise", 0.75),
    _cue(
        r"\b(?:willing|ready|prepared)\s+to\s+(?:provide|give|fund|finance|support|offer|contribute|deploy|send|"
        r"invest|lend|supply|build|help)\b",
        "promise",
        0.75,
    ),
    _cue(r"\b(?:willing|ready|prepared)\s+to\b", "promise", 0.65),
    # An undertaking announced as under way: "we are launching a fund".
    _cue(
        r"\b(?:is|are|am)\s+(?:now\s+|therefore\s+|also\s+|today\s+)?(?:launching|setting\s+up|establishing|creating|"
        r"rolling\s+out|introducing|investing|funding|providing|allocating|fast-tracking|tightening|working\s+to|"
        r"opening\s+(?=\d|new\b))\b"
        r"|'re\s+(?:launching|setting\s+up|creating)\b|'m\s+(?:launching|setting\s+up|creating)\b",
        "promise",
        0.7,
    ),
    _cue(r"(?:\bwill|\bshall|'ll)\s+(?:now\s+)?go\s+ahead\s+with\b", "promise", 0.8),
    # Communiques and speeches in the present: "We launch the Food Systems Initiative", "We commit to ending".
    _cue(r"\b(?:we|I)\s+(?:hereby\s+|today\s+|also\s+)?(?:launch|establish|create|announce|commit)\b", "promise", 0.75),
    _cue(r"\b(?:remain|remains|are|is|am)\s+(?:fully\s+|firmly\s+)?(?:determined|resolved)\s+to\b", "promise", 0.75),
    _cue(r"\b(?:are|is|am)\s+putting\s+(?=" + _MONEY + r"|(?:about|some|around|nearly|over)\s)", "promise", 0.7),
    _cue(r"\b(?:is|are)\s+(?:set|going)\s+to\b", "promise", 0.6, modal=True),
    # The speaker's own plans: "I'm going to keep fighting", "we're going to build", "We expect to have staff...".
    _cue(r"\b(?:I'm|I\s+am|we're|we\s+are)\s+(?:also\s+)?going\s+to\b", "promise", 0.7),
    _cue(
        r"\b(?:we|I)\s+(?:now\s+|also\s+)?expect\s+to\s+(?:have|be|open|start|complete|finish|reach|sign)\b",
        "intent",
        0.65,
    ),
    # "We expect the formalisation of the partnership to be completed this year": the speaker's own timetable.
    _cue(
        r"\b(?:we|I)\s+(?:now\s+|also\s+)?expect\s+(?:the|our|it|this|that|these)\b[^.;]{0,80}?\s+to\s+be\s+"
        r"(?:completed|finished|signed|concluded|ready|operational|in\s+place|launched|finali[sz]ed)\b",
        "intent",
        0.6,
    ),
    _cue(r"\b(?:will|shall)\b|'ll\b", "promise", 0.7, modal=True),
    _cue(r"\bwould\b", "promise", 0.65, reported=True, modal=True, weak=True),
    _cue(r"\bannounc(?:ed|es|ing)\b", "promise", 0.55, weak=True),
)
# A review or intent right after the main verb says what kind of pledge it is:
# "promised to study" is a review, "signed a statement of intent" an intent.
KIND_REFINING = frozenset({"review", "intent"})
REFINE_WINDOW = 45

REPORTING_VERB = re.compile(
    r"\b(?:said|says|told|added|announced|declared|stated|insisted|explained|noted|confirmed|wrote|according\s+to)\b",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|no(?=\s+(?:plans?|intention|commitment|decision|need)\b|\s*$)|neither|nor|(?:declined|refused|failed)(?:\s+\w+){0,3}?\s+to|without|rejected)\b"
    r"|n't\b",
    re.IGNORECASE,
)
# A question is not a pledge: "Asked whether Japan was willing to provide more, the minister...".
QUESTION_BEFORE = re.compile(
    r"\b(?:whether|how|(?:ask(?:ed|s|ing)?|know|knows|unclear|unsure|uncertain|see|wonder(?:ed|s)?|decide[sd]?)\s+if)\b"
    r"[^,;:\"]{0,60}$",
    re.IGNORECASE,
)
# A modal the speaker hedges himself: "the benefit will probably be felt around 2027", "it will likely slow".
HEDGE_AFTER_MODAL = re.compile(r"\s+(?:(?:most|very)\s+)?(?:probably|likely|possibly|perhaps|maybe)\b", re.IGNORECASE)
# "Whether large emitters will contribute remained unclear": an open question, however long its subject.
OPEN_QUESTION = re.compile(r"^\W*whether\b", re.IGNORECASE)
# A figure someone estimated: "According to estimates by the AfDB, Africa will need $2.7 trillion".
ESTIMATED = re.compile(
    r"\baccording\s+to\s+(?:\w+\s+){0,2}?(?:estimates?|forecasts?|projections?|analysts?|economists?|research|"
    r"studies|data)\b|\b(?:estimates?|forecasts?|projections?)\s+(?:by|from)\b",
    re.IGNORECASE,
)
# Nor is a condition: in "If Kenya agrees to reforms, Japan will fund the railway" the pledge is the second verb.
CONDITION_BEFORE = re.compile(r"\b(?:whether|if|unless)\b[^,;:\"]{0,60}$", re.IGNORECASE)
# Hopes and expectations are not pledges: "hoped to sign", "is expected to agree".
HEDGE_BEFORE = re.compile(
    # Not "we expect to commit $2.5bn": a speaker's own plan.
    r"\b(?:hope[sd]?|hoping|wish(?:es|ed)?|would\s+like|might|may|could|(?<!\b[Ww]e\s)(?<!\bI\s)expect|expects|expected|"
    r"is\s+likely|are\s+likely)"
    r"\s+(?:to\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
# "$11.6 billion pledged by rich countries": an earlier pledge described, not a new one.
PASSIVE_AFTER = re.compile(r"^\s+by\b", re.IGNORECASE)
PAST_AFTER = re.compile(
    r"^\s+(?:[\w,$€£¥.%-]+\s+){0,5}?(?:(?:in|during)\s+(?P<year>(?:19|20)\d\d)\b|last\s+(?:year|month|week)|"
    r"(?:a\s+year|years|months)\s+ago)",
    re.IGNORECASE,
)
# A declaration's preamble: "Recalling that...;", "Aware that...,": the grounds, not the undertakings.
PREAMBLE = re.compile(
    r"^\s*(?:\d{1,3}\.\s*)?(?:recalling|aware|noting|recogni[sz]ing|acknowledging|bearing\s+in\s+mind|considering|"
    r"convinced|concerned|mindful|guided|having|emphasi[sz]ing|stressing|underlining|deeply|expressing)\b"
    r"(?=.*[;,]\s*$)",
    re.IGNORECASE | re.DOTALL,
)
# A plural noun phrase opening a sentence before its verb: "French farmers staged...".
GENERIC_SUBJECT = re.compile(
    # Not a span of time: "Ten years ago", "Two decades later".
    r"^(?!(?:[A-Z][\w'-]*\s+)?(?:years|months|weeks|days|decades)\b)"
    r"(?P<subject>(?:[A-Z][\w'-]*)(?:\s+[a-z][\w'-]*){0,3}?\s*[a-z][\w'-]{2,}[^s\W]s'?)\s+"
    r"(?:\w+ed|have|had|are|were|say|said|want|will|would|plan|staged|met|held|took|went|began|fear)\b"
)
# A clause under these is hoped or thought, not pledged: "I hope this package will inspire others".
HOPE_VERBS = frozenset(
    {
        "hope",
        "hopes",
        "hoped",
        "hoping",
        "expect",
        "expects",
        "expected",
        "believe",
        "believes",
        "believed",
        "wish",
        "wishes",
        "think",
        "thinks",
        "thought",
        "trust",
        "trusts",
        "fear",
        "fears",
        "feared",
        "estimate",
        "estimates",
        "estimated",
        "forecast",
        "forecasts",
        "predict",
        "predicts",
        "predicted",
    }
)
# Speakers who comment rather than commit: "Bankers in Cairo said the inflow would ease talks".
COMMENTATORS = frozenset(
    {
        "analysts",
        "analyst",
        "economists",
        "economist",
        "bankers",
        "banker",
        "experts",
        "expert",
        "observers",
        "critics",
        "investors",
        "traders",
        "commentators",
    }
)
# Futures that are forecasts or descriptions, not pledges.
NON_PLEDGE_AFTER_MODAL = re.compile(
    r"^\s+(?:(?:also|finally|soon|now|then|still|eventually|never)\s+)?"
    # "will be launching" is the speaker's own undertaking; "will be ready" a description.
    r"(?:be\b(?!\s+(?:[a-z]+ing)\b)|(?:have|cost|mean|help|boost|lead|bring|save|raise\s+prices)\b"
    # "would add £4.8 billion", "will create 5,000 jobs": a forecast; "will add a third shift" is not.
    r"|(?:add|create|handle|carry|serve|accommodate)\s+(?:[$€£¥₦₹]|\d|(?:about|some|around|nearly|more\s+than|up\s+to|thousands|hundreds|millions|"
    r"new\s+jobs|jobs)\b))",
    re.IGNORECASE,
)
