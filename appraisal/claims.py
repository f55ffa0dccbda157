"""Claim strength: how strongly does a sentence claim that one thing causes another?

The kit rates a sentence on the four-level scale of Yu, Li & Wang 2019 [S127], weakest to strongest:

- ``none``: no relation between an exposure and an outcome is asserted (topics, methods, questions, calls for
  research, negated findings such as "did not reduce");
- ``correlational``: an association without a causal direction ("associated with", "linked to");
- ``conditional_causal``: a causal claim softened by a hedge ("may reduce", "suggests that X improves Y");
- ``direct_causal``: an unhedged causal claim ("reduces", "leads to", "is effective for").

The classifier is a short, ordered list of readable rules over cue words, not a trained model. The cue lists are
module-level tuples of ``(name, regular expression)`` so that a student can read them, and change them in a "Try
it" cell. The decision, in order:

1. not English text, or a question (ends with "?")  -> ``none``;
2. find the relation cues (causal and association words), after removing words that only look like cues
   ("the causes of", "affects millions of people", "used to treat");
3. drop a cue that is negated ("did not reduce", "no evidence that ... reduces") or that sits inside an aim, a
   method, a "whether" or a call for research;
4. a causal word governed by an association word just before it ("associated with a 20% reduction in") counts as
   part of the association;
5. a remaining causal cue is ``conditional_causal`` when a hedge governs it (a modal such as "may" before it in
   the same clause, or a sentence-level hedge such as "suggests" or "one theory" anywhere), else
   ``direct_causal``; an association cue is ``correlational`` (hedged or not);
6. the sentence gets the strongest level among its remaining cues; with none left it is ``none``.

It is a teaching baseline: it reads words, not meaning, and its failures are worth showing. Known limits: a
causal claim made without a causal word ("so patients feel no pain") is missed; "associated with" used to mean
"known for" is read as an association; a hedge before one claim also softens a later claim in the same clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from appraisal.paths import data_path

__all__ = [
    "ASSOCIATION_CUES",
    "CAUSAL_CUES",
    "FRAME_CUES",
    "HEDGES_BEFORE_VERB",
    "HEDGES_ANYWHERE",
    "MAX_SENTENCE_CHARS",
    "NOT_CUES",
    "STRENGTH_LEVELS",
    "StrengthExplanation",
    "StrengthReport",
    "add_strength",
    "claim_strength",
    "evaluate_strength",
    "explain_strength",
    "load_strength_examples",
]

#: The four levels, weakest to strongest (Yu, Li & Wang 2019 [S127]).
STRENGTH_LEVELS: Final = ("none", "correlational", "conditional_causal", "direct_causal")

#: Longer "sentences" are refused with a ValueError: they are whole documents, to be split first.
MAX_SENTENCE_CHARS: Final = 10_000

# A plural noun (not a verb or function word ending in -s) just before a bare verb.
_PLURAL_SUBJECT = (r"\b(?!(?:is|was|has|does|his|its|this|as|us|thus|plus|less|unless|yes|always|perhaps|"
                   r"sometimes|whereas|its)\b)[a-z]{2,}s\s+")
_MODAL = r"(?:may|might|could|can|will|would|should|to|help|helps|helped|does|do|did|not|n't|also|further|significantly)"

# --------------------------------------------------------------------------------------------------------------
# Cue lists. Each entry is (name, regular expression) over the lower-cased sentence. If the expression has a group
# named "c" (cues) or "x" (NOT_CUES), only that group's words are taken; the rest is context.
# Earlier entries win: a later match that overlaps an earlier one is ignored.
# --------------------------------------------------------------------------------------------------------------

#: Words that look like cues but are not claims here. Their words are removed before any cue is searched.
NOT_CUES: Final = (
    # "the causes of pain" names a topic; "is a leading cause of" is handled first, as a causal cue.
    ("cause as a noun", r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bof )(?<!\bremains )(?<!\bremain )(?<!\bthe )(?<!\ba )"
                        r"\b(?:the|a|an|its|their|possible|potential|underlying|main|common|exact|root|many|"
                        r"other|known|unknown)\s+(?:[\w-]+\s+)?(?P<x>causes?)\b"),
    # "affects millions of people" is a prevalence statement, not an effect of an exposure.
    ("prevalence", r"\b(?P<x>affect(?:s|ed|ing)?)\s+(?:an\s+estimated\s+|about\s+|around\s+|nearly\s+|almost\s+|"
                   r"over\s+|more\s+than\s+|up\s+to\s+|roughly\s+|some\s+|approximately\s+)?"
                   r"(?:[\d.,]+\b|millions|thousands|hundreds|billions|one\s+in|many|most)"),
    # "used to treat", "given to reduce": a purpose or a use, not a result.
    ("purpose", r"\b(?:used|given|administered|prescribed|designed|intended|meant|in\s+order|so\s+as|"
                r"developed|marketed|sold|approved|licensed|indicated)(?:\s+[\w'-]+){0,8}?\s+(?P<x>to\s+(?:help\s+)?[a-z]+)\b"),
    ("use in treating", r"\buse[sd]?\s+(?:[\w-]+\s+)?(?:in|for)\s+(?P<x>treating)\b"),
    # "how X works", "how diet affects mood": a topic, with no direction.
    ("how-topic", r"\bhow\s+(?:[\w'-]+\s+){0,4}?(?P<x>works?|affects?|influences?|impacts?)\b"),
    # A participle used as an adjective ("with improved sleep", "Reduced dependency on drugs").
    ("participle adjective", r"(?:^(?:\d+[.)]\s*)?|\b(?:with|and|of|for|in|by|from|the|a|an|more|less|to)\s+)"
                             r"(?P<x>reduced|improved|increased|decreased|enhanced|lowered|elevated|boosted)\b"),
    # A gerund that opens a clause is the exposure, not the claim ("Boosting gut bacteria can lower ...").
    ("gerund subject", r"(?:^|\bthat\s+)(?P<x>[a-z]+ing)\b"),
    ("results noun", r"\b(?:the|these|those|its|their|our|similar|mixed|positive|negative|promising|early|"
                     r"preliminary|trial|study|studies|such|good|better|best|first|final|encouraging)\s+"
                     r"(?P<x>results)\s+in\b"),
    ("work as a place", r"\b(?:to|at|from|of|back|off|out)\s+(?P<x>work)\b"),
    # "not only reduces" and "no doubt" do not negate.
    ("not a negation", r"\b(?P<x>not)\s+(?:only|just|merely|simply)\b|\b(?P<y>no)\s+(?:doubt|wonder|matter|longer)\b"),
)

#: Words that frame what follows as not asserted. (name, kind, regex); the frame reaches to the end of its clause.
FRAME_CUES: Final = (
    # Negated evidence: "no evidence that X reduces Y", "has not been shown to".
    ("no evidence", "negation",
     r"\bno\s+(?:[\w-]+\s+){0,2}?(?:evidence|proof|data|trials?|study|studies|research|sign|indication|reason)\b"),
    ("little evidence", "negation",
     r"\b(?:little|insufficient|inadequate|scant|scarce|not\s+enough|lack\s+of|absence\s+of)\s+(?:[\w-]+\s+)?"
     r"(?:evidence|proof|data)\b"),
    ("not shown", "negation",
     r"\b(?:not|never|n't)\s+(?:yet\s+)?(?:been\s+)?(?:proven|proved|shown|demonstrated|established|confirmed)\b"),
    ("failed to show", "negation",
     r"\b(?:fail(?:s|ed)?|unable)\s+to\s+(?:show|find|demonstrate|confirm|detect|prove|replicate)\b"),
    ("did not find", "negation",
     r"\b(?:did|does|do|could)(?:\s+not|n't)\s+(?:show|find|demonstrate|confirm|detect|prove|support|replicate)\b"),
    ("found no", "negation", r"\b(?:found|find|finds|showed|shows|show|saw|observed|reported)\s+no\b"),
    ("no better than placebo", "negation (whole clause)",
     r"\b(?:no|not|did\s+no|were\s+no|was\s+no)\s+(?:better|more\s+effective|more\s+helpful)\s+than\b"),
    ("myth", "negation", r"\b(?:it\s+is\s+(?:a\s+)?myth|the\s+myth|it\s+is\s+not\s+true|not\s+the\s+case)\s+that\b|"
                         r"\bdebunk\w*"),
    # Open questions and aims: "whether X reduces Y", "This article aims to explore".
    ("whether", "open question", r"\bwhether\b|\b(?:unclear|unknown|uncertain|not\s+known|not\s+clear)\s+(?:if|how)\b"
                                 r"|\b(?:determine|establish|assess|test|evaluate|examine|investigate|explore|"
                                 r"find\s+out|see|asked?|check)\s+if\b"),
    ("aim", "aim or method", r"\b(?:aims?|aimed|aiming|objective|purpose|goal)\s+(?:[\w-]+\s+){0,4}?(?:is\s+|was\s+)?to\b"),
    ("method", "aim or method",
     r"\b(?:we|researchers|investigators|scientists|the\s+(?:study|trial|team|authors|researchers|review)|"
     r"this\s+(?:study|trial|review|article|paper|analysis|post|guide|report|page))\s+(?:\w+\s+)?"
     r"(?:will\s+|are\s+|is\s+|now\s+)?(?:test(?:s|ed|ing)?|examin(?:e|es|ed|ing)|investigat(?:e|es|ed|ing)|"
     r"assess(?:es|ed|ing)?|evaluat(?:e|es|ed|ing)|explor(?:e|es|ed|ing)|measur(?:e|es|ed|ing)|compar(?:e|es|ed|ing)|"
     r"stud(?:y|ies|ied|ying)|ask(?:s|ed)?|look(?:s|ed)?\s+at|set\s+out|recruit(?:s|ed)?|randomi[sz]ed|"
     r"enroll?(?:s|ed)?|follow(?:s|ed)|track(?:s|ed)?|analy[sz](?:e|es|ed)|review(?:s|ed)?|describ(?:e|es|ed)|"
     r"discuss(?:es|ed)?|explain(?:s|ed)?|summari[sz](?:e|es|ed)|cover(?:s|ed)?)\b"),
    # Calls for research: "further research is needed to confirm that X reduces Y".
    ("call for research", "call for research",
     r"\b(?:further|more|additional|future|larger|better|new)\s+(?:[\w-]+\s+){0,2}?(?:research|studies|trials|work|"
     r"investigations?|evidence|data)\s+(?:is\s+|are\s+|will\s+be\s+)?(?:still\s+)?(?:needed|required|warranted|"
     r"necessary)\b|\b(?:research|studies|trials|evidence|work)\s+(?:is|are)\s+(?:still\s+|urgently\s+)?"
     r"(?:needed|required|warranted)\b|\bfuture\s+(?:research|studies|trials|work)\s+(?:should|must|will|could|"
     r"might|may)\b|\bcalls?\s+for\s+(?:more|further|larger|new)\b|\bwarrants?\s+further\b"),
)

#: Causal cues: a claim that one thing changes another. Hedged -> conditional_causal, else direct_causal.
CAUSAL_CUES: Final = (
    ("promise", r"\b(?:shows?|showed|shown|showing|holds?|held|offers?|has|have|had)\s+(?:[\w-]+\s+){0,2}?"
                r"(?P<c>promise)\b"),
    ("promising results", r"\b(?P<c>promising)\s+(?:[\w-]+\s+)?(?:results?|findings?|treatments?|therap(?:y|ies)|"
                          r"options?|approach(?:es)?|drugs?|evidence|effects?|signs?|candidates?)\b"),
    ("leading cause", r"\b(?:is|are|was|were|remains?)\s+(?:a|an|the|one\s+of\s+the)\s+(?:[\w-]+\s+){0,2}?"
                      r"(?P<c>causes?\s+of)\b"),
    ("cause", r"\bcaus(?:e|es|ed|ing)\b"),
    ("reduce", r"\breduc(?:e|es|ed|ing)\b|\breductions?\s+(?:in|of)\b"),
    ("improve", r"\bimprov(?:e|es|ed|ing)\b|\bimprovements?\s+(?:in|of)\b"),
    ("increase", r"\bincreas(?:e|es|ed|ing)\b"),
    ("decrease", r"\bdecreas(?:e|es|ed|ing)\b"),
    ("lower", r"\blower(?:s|ed|ing)\b"),
    ("lower", rf"\b{_MODAL}\s+(?P<c>lower)\b"),
    # A plural subject then a bare verb that is also an adjective or a noun: "Statins lower cholesterol".
    ("lower", rf"{_PLURAL_SUBJECT}(?P<c>lower|ease|help)\b(?!\s+than\b)"),
    ("raise", r"\b(?P<c>rais(?:e|es|ed|ing))\s+(?:the\s+|your\s+|their\s+|a\s+)?(?:[\w-]+\s+)?"
              r"(?:risks?|levels?|odds|chances?|likelihood|pressure)\b"),
    ("cut", r"\b(?P<c>cut(?:s|ting)?|slash(?:es|ed|ing)?)\s+(?:the\s+|your\s+|their\s+)?(?:[\w%-]+\s+){0,2}?(?:risks?|rates?|pain|"
            r"deaths?|odds|chances?|levels?|cholesterol|symptoms|weight|mortality|migraines?|infections?|"
            r"hospitali[sz]ations?|admissions?|cases|use|need|attacks?|flare-?ups?|number|falls|costs?)\b"),
    ("halve or double", r"\b(?P<c>halv(?:e|es|ed|ing)|doubl(?:e|es|ed|ing)|tripl(?:e|es|ed|ing))\s+(?:the\s+|your\s+)?"
                        r"(?:[\w-]+\s+)?(?:risks?|rates?|odds|chances?|likelihood|number)\b"),
    ("lead to", r"\b(?:lead|leads|led|leading)\s+to\b"),
    ("result in", r"\bresult(?:s|ed|ing)?\s+in\b"),
    ("relieve", r"\breliev(?:e|es|ed|ing)\b"),
    ("provide relief", r"\b(?:provid(?:e|es|ed|ing)|offer(?:s|ed|ing)?|br(?:ing|ings|inging|ought)|g(?:ive|ives|iving|ave))"
                       r"\b(?:\s+[\w-]+){0,4}?\s+relief\b"),
    ("alleviate", r"\balleviat(?:e|es|ed|ing)\b"),
    ("ease", r"\beas(?:es|ed|ing)\b"),
    ("ease", rf"\b{_MODAL}\s+(?P<c>ease)\b"),
    ("prevent", r"\bprevent(?:s|ed|ing)?\b"),
    ("protect", r"\bprotect(?:s|ed|ing)?\b|\bprotective\b|\bprotection\s+(?:against|from)\b"),
    ("cure", r"\bcur(?:e|es|ed|ing)\b"),
    ("eliminate", r"\beliminat(?:e|es|ed|ing)\b"),
    ("ensure", r"\bensur(?:e|es|ed|ing)\b"),
    ("boost", r"\bboost(?:s|ed|ing)?\b"),
    ("effective", r"(?<![-\w])effective(?:ly)?\b"),
    ("successful", r"\bsuccessful(?:ly)?\b"),
    ("works", r"\bwork(?:s|ed)?\b(?=\s+(?:for|against|better|well|wonders|by)\b|\s*[.!;,]|\s*$)"),
    ("treat", r"\btreats\b"),
    ("treat", rf"\b{_MODAL}\s+(?P<c>treat)\b"),
    ("treat", r"\b(?:for|in)\s+(?P<c>treating)\b"),
    ("help", r"\bhelp(?:s|ed)\b"),
    ("help", r"\b(?:may|might|could|can|will|would|should|to)\s+(?P<c>help)\b"),
    ("benefit", r"\bbenefit(?:s|ed|ted|ing)?\s+from\b|\bbeneficial\b"),
    ("benefit", r"\b(?:may|might|could|can|will|would|to)\s+(?P<c>benefit)\b"),
    ("has an effect", r"\b(?:has|have|had|having|show(?:s|ed|n)?|exert(?:s|ed)?|produc(?:e|es|ed)|make(?:s)?|made)\s+"
                      r"(?:an?\s+|no\s+|any\s+|little\s+)?(?:[\w-]+\s+){0,2}?(?:effects?|impacts?|influence|"
                      r"difference)\s+(?:on|in|against|to)\b"),
    ("affect", r"\baffect(?:s|ed|ing)?\b"),
    ("impact", r"\bimpact(?:ed|ing)\b"),
    ("impact", rf"\b{_MODAL}\s+(?:[\w-]+\s+)?(?P<c>impact)\b"),
    ("influence", r"\binfluenc(?:es|ed|ing)\b"),
    ("contribute to", r"\bcontribut(?:e|es|ed|ing)\s+to\b"),
    ("due to", r"\b(?:due|thanks|owing|attributable|attributed)\s+to\b|\bbecause\s+of\b|\bresponsible\s+for\b"),
    ("plays a role", r"\bplay(?:s|ed|ing)?\s+(?:an?\s+)?(?:[\w-]+\s+)?role\s+in\b"),
    ("mechanism verb", r"\b(?:alter(?:s|ed)?|trigger(?:s|ed|ing)?|induc(?:es|ing)|stimulat(?:es|ed)|activat(?:es|ed)|"
                       r"inhibit(?:s|ed)?|suppress(?:es|ed)?|block(?:s|ed)|targets|strengthen(?:s|ed)?|"
                       r"weaken(?:s|ed)?|worsen(?:s|ed)?|aggravat(?:es|ed)|restor(?:es|ed)|repair(?:s|ed)|"
                       r"revers(?:es|ed)|enhanc(?:e|es|ed|ing)|promot(?:es|ed|ing)|mitigat(?:e|es|ed|ing)|"
                       r"minimi[sz](?:es|ed)|shrinks?|shrank|slow(?:s|ed)|delays|extends|accelerat(?:es|ed)|"
                       r"fights|combats|soothes|heal(?:s|ed)|kill(?:s|ed)|harms|damages|harmful|outperform(?:s|ed)?|"
                       r"shorten(?:s|ed)|transform(?:s|ed)|revolutioni[sz](?:es|ed))\b"),
    ("mechanism verb", rf"\b{_MODAL}\s+(?P<c>alter|trigger|induce|stimulate|activate|inhibit|suppress|block|target|"
                       r"strengthen|weaken|worsen|restore|repair|reverse|mitigate|minimi[sz]e|shrink|slow|delay|extend|"
                       r"heal|kill|harm|damage|shorten|transform|revolutioni[sz]e)\b"),
    ("ward off", r"\b(?:ward(?:s|ed|ing)?|fend(?:s|ed|ing)?|stave(?:s|d)?|staving)\s+off\b|\bfuels\b|"
                 r"\btackles\b|\bbanish(?:es|ed)\b|\bat\s+bay\b"),
    ("good for", r"\b(?:good|bad|great|harmful|beneficial)\s+for\s+(?:your|you|the|our|their|his|her|people|health|"
                 r"heart|brain|skin|bones|teeth|gut|liver|kidneys|joints)\b"),
    ("contributor", r"\b(?:major|main|key|leading|significant|important)?\s*contributors?\s+to\b"),
    ("speed up", r"\bspeed(?:s|ed)?\s+up\b|\bburn(?:s|ed)?\s+(?:[\w-]+\s+)?(?:fat|calories)\b"),
    ("makes it easier", r"\b(?:make|makes|made|making)\s+(?:[\w-]+\s+){0,2}?(?:easier|harder|worse|better|stronger|"
                        r"weaker|healthier)\b"),
)

#: Association cues: a relation without a causal direction -> correlational.
ASSOCIATION_CUES: Final = (
    ("associated with", r"\bassociat(?:ed|es)\s+(?:[\w-]+\s+)?with\b"),
    ("linked to", r"\blink(?:s|ed)?\s+(?:[\w-]+\s+)?(?:to|with)\b|\blinking\b"),
    ("a link between", r"\b(?:an?|no|any|some|strong|clear|weak|significant|positive|negative|inverse|possible|"
                       r"potential|consistent|modest|small)\s+(?:[\w-]+\s+)?(?P<c>(?:links?|associations?|"
                       r"correlations?|relationships?|connections?)\s+(?:between|with|to))\b"),
    ("correlated", r"\bcorrelat(?:e|es|ed|ing|ion|ions)\b"),
    ("tied to", r"\b(?:tied|connected|related)\s+(?:[\w-]+\s+)?to\b|\bconnected\s+with\b"),
    ("more likely", r"\b(?:more|less)\s+likely\b|\b(?:twice|half|\w+\s+times)\s+as\s+likely\b"),
    ("more common among", r"\b(?:more|less)\s+(?:common|frequent|prevalent|often)\s+(?:in|among)\b|"
                          r"\b(?:common|frequent|prevalent)\s+(?:in|among)\s+(?:people|those|patients|women|men|"
                          r"children|adults|smokers|users|individuals)\b"),
    # "those who napped had higher blood pressure": a comparison between groups that differ in an exposure.
    ("those who ... had more", r"\b(?:those|people|participants|patients|women|men|children|adults|volunteers|"
                               r"mothers|fathers|individuals|teenagers|users|smokers|drinkers|workers)\s+who\s+"
                               r"(?:[\w',-]+\s+){1,8}?(?P<c>(?:had|have|has|were|are|reported|report|showed|show|"
                               r"got|scored|tend\s+to\s+\w+|tended\s+to\s+\w+)\s+(?:the\s+)?(?:higher|lower|"
                               r"more|fewer|less|greater|better|worse|highest|lowest|most|least))\b"),
    ("tend to have more", r"\btend(?:s|ed)?\s+to\s+(?:[\w-]+\s+){0,2}?(?:higher|lower|more|fewer|less|greater|"
                          r"better|worse)\b"),
    ("lower risk among", r"\b(?:had|have|has|having|with|show(?:s|ed)?|a|an|at)\s+(?:an?\s+)?(?:[\w%.,-]+\s+){0,2}?"
                         r"(?P<c>(?:higher|lower|greater|smaller|reduced|increased|elevated|decreased)\s+"
                         r"(?:risks?|rates?|odds|chances?|likelihood|incidence|prevalence|levels?|mortality))\b"),
    ("higher rates in", r"\b(?:higher|lower)\s+(?:rates?|risks?|levels?|incidence|odds|numbers)\s+"
                        r"(?:of\s+(?:[\w-]+\s+){1,2}?)?(?:(?:was|were|is|are)\s+(?:\w+\s+)?)?(?:in|among)\b"),
    ("rates were higher", r"\b(?:rates?|risks?|levels?|incidence|prevalence|odds|concentrations?|scores?)\s+"
                          r"(?:of\s+(?:[\w-]+\s+){1,2}?)?(?:was|were|is|are)\s+(?:\w+\s+)?(?:higher|lower|greater)\s+"
                          r"(?:in|among|for)\b"),
    ("predicts", r"\bpredict(?:s|ed|ing)?\b|\bpredictors?\s+of\b"),
    ("risk factor", r"\brisk\s+factors?\s+for\b"),
    ("the more ..., the more", r"\bthe\s+(?:higher|lower|more|less|greater|fewer|longer|shorter)\b[^,;]{1,80},\s*"
                               r"the\s+(?:higher|lower|more|less|greater|fewer|longer|shorter|better|worse)\b"),
    ("accompanied by", r"\baccompanied\s+by\b|\bhand\s+in\s+hand\b|\boccur\s+together\b|\bco-?occur\w*|\bcoincid(?:e|es|ed|ing)\s+with\b"),
)

#: Hedges that soften a causal word coming after them in the same clause ("may reduce", "appears to improve").
HEDGES_BEFORE_VERB: Final = (
    # "may" is not the month ("in May", "May 2024"); "can" is not a tin ("a can of").
    ("modal", r"(?<!\bin )(?<!\bearly )(?<!\blate )(?<!\bsince )(?<!\buntil )\bmay\b(?!\s+\d)|"
              r"\b(?:might|could|would|should)\b|(?<!\ba )(?<!\bper )\bcan\b(?!['’]t)"),
    ("appears", r"\b(?:appear|appears|appeared|seem|seems|seemed|seemingly)\b"),
    ("likely", r"\blikely\b|\bpossibl[ey]\b|\bprobabl[ey]\b|\bperhaps\b|\bpresumabl[ey]\b|\bpurported(?:ly)?\b"),
    ("potential", r"\bpotential(?:ly)?\b|\bpromis(?:e|es|ing)\b"),
    ("thought to", r"\b(?:thought|believed|expected|tends?|tended|said|claimed|reputed|suspected)\s+to\b|"
                   r"\b(?:thought|believes?|believed|suspects?|suspected)\s+that\b|\bsuspect(?:s|ed)?\b"
                   r"|\bpossibilit(?:y|ies)\b"),
)

#: Hedges that soften every causal word of the sentence ("The results suggest ...", "One theory is ...").
HEDGES_ANYWHERE: Final = (
    ("suggests", r"\bsuggest(?:s|ed|ing|ive|ion|ions)?\b"),
    ("theory", r"\btheor(?:y|ies|ised|ized)\b|\bhypothes\w+|\bposits?\b|\bspeculat\w+|\bit\s+is\s+possible\b|"
               r"\bhints?\b|\bhinted\b"),
)

# Negation just before a cue ("did not significantly reduce", "no link between", "failed to improve").
_NEGATION = re.compile(r"\b(?:not|never|no|none|neither|nor|cannot|without)\b|n['’]t\b|\bunlikely\s+to\b|"
                       r"\bfail(?:s|ed|ing)?\s+to\b|\bunable\s+to\b")
# Words allowed between a negation and the cue it negates.
_NEGATION_GAP_WORDS: Final = frozenset(
    """significantly statistically substantially meaningfully appreciably clearly consistently reliably materially
    measurably noticeably markedly greatly much further actually really necessarily always strongly independently
    directly seem seems seemed appear appears appeared to be been being is are was were have has had any shown found
    proven proved demonstrated seen reported help helps helped significant clinically meaningful important major
    real clear measurable detectable lasting overall the a an more less better that it they also in on either
    effectively do does did will would could can may might should ever yet sufficiently fully entirely completely
    alone reliable consistent convincing good strong evidence""".split()
)
_NEGATION_MAX_GAP = 4
# "any" just before a cue (allowing a few adjectives) marks a negative context: "did not show any improvement".
_ANY_BEFORE = re.compile(r"\bany\s+(?:(?:significant|clear|real|meaningful|measurable|clinically|lasting|"
                         r"detectable|important)\s+){0,2}$")
# A causal word up to this many words after an association word belongs to it ("linked to a 20% reduction in").
_ASSOCIATION_REACH = 6

# Clauses end at these; frames and hedges-before-verb do not reach past them.
_CLAUSE_BREAK = re.compile(r"[;:]|\s[–—-]\s|\b(?:but|however|whereas|although|though|while|yet|nevertheless|"
                           r"nonetheless|meanwhile)\b")
# An aim or method frame also ends where the finding is reported ("Researchers tracked 900 adults and found ...").
_FINDING_VERB = re.compile(r"\b(?:found|find|finds|showed|shows|reported|concluded|observed|discovered|revealed|"
                           r"demonstrated|saw)\b")
_WORD = re.compile(r"[\w%'’-]+")

_ENGLISH_WORDS: Final = frozenset(
    "the a an of to in and is are was were be been it that this with for on by as at from or not no may can will "
    "has have had do does did which who these those their its people patients".split()
)
_FOREIGN_WORDS: Final = frozenset(
    "el la los las del le les des du une und der das ist nicht mit il che di della sono och att het een zijn que "
    "con para por es não em da pas dans sur".split()
)

_PROMISE: Final = ("promise", "promising results")
_LEVEL_RANK: Final = {level: i for i, level in enumerate(STRENGTH_LEVELS)}


@dataclass(frozen=True)
class StrengthExplanation:
    """Why a sentence got its level: the rule that decided and the words that triggered it."""

    label: str
    rule: str
    words: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.words:
            return f"{self.label} — {self.rule}"
        quoted = " … ".join(f"'{w}'" for w in self.words)
        return f"{self.label} — {self.rule}: {quoted}"


@dataclass(frozen=True)
class _Cue:
    kind: str  # "causal" or "association"
    name: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Frame:
    kind: str
    start: int
    end: int
    text: str


def _required_literals(items: object) -> frozenset[str] | None:
    """Strings of which every match of a parsed pattern contains at least one (None if unsure).

    Used only to skip a pattern quickly when none of its words is in the sentence; the answer is the same.
    """
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            candidates.append(frozenset({"".join(run)}))
        run.clear()

    for op, arg in items:  # type: ignore[attr-defined]
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        flush()
        if name == "SUBPATTERN":
            found = _required_literals(arg[-1])
        elif name == "BRANCH":
            branches = [_required_literals(b) for b in arg[1]]
            found = None if any(b is None for b in branches) else frozenset().union(*branches)  # type: ignore[arg-type]
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            found = _required_literals(arg[2])
        else:
            found = None
        if found:
            candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=lambda c: min(len(w) for w in c))


class _Pattern:
    """A compiled regular expression that first checks, cheaply, that one of its required words is present."""

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)
        try:
            from re import _parser  # the standard library's own parser (Python 3.11+)

            self.keys = _required_literals(_parser.parse(pattern))
        except Exception:  # pragma: no cover - any doubt: always run the pattern
            self.keys = None

    def finditer(self, text: str, present: set[str]) -> Iterable[re.Match[str]]:
        """The matches in ``text``; ``present`` holds the required words found in it (see ``_present_keys``)."""
        if self.keys is not None and self.keys.isdisjoint(present):
            return ()
        return self.regex.finditer(text)


def _compile(entries: tuple[tuple[str, str], ...]) -> tuple[tuple[str, _Pattern], ...]:
    return tuple((name, _Pattern(pattern)) for name, pattern in entries)


_NOT_CUES = _compile(NOT_CUES)
_CAUSAL = _compile(CAUSAL_CUES)
_ASSOCIATION = _compile(ASSOCIATION_CUES)
_HEDGES_BEFORE = _compile(HEDGES_BEFORE_VERB)
_HEDGES_ANYWHERE = _compile(HEDGES_ANYWHERE)
_FRAMES = tuple((name, kind, _Pattern(pattern)) for name, kind, pattern in FRAME_CUES)
_ALL_KEYS = tuple(sorted(set().union(*(
    p.keys or () for catalogue in (_NOT_CUES, _CAUSAL, _ASSOCIATION, _HEDGES_BEFORE, _HEDGES_ANYWHERE)
    for _n, p in catalogue
), *(p.keys or () for _n, _k, p in _FRAMES))))


def _present_keys(text: str) -> set[str]:
    """The required words of any pattern that occur in ``text``: patterns with none of theirs are skipped."""
    return {k for k in _ALL_KEYS if k in text}


def _check_sentence(sentence: object, name: str = "sentence") -> str:
    if not isinstance(sentence, str):
        raise TypeError(f"{name} must be a string (one sentence), not {type(sentence).__name__}.")
    if not sentence.strip():
        raise ValueError(f"{name} is empty or only white space: there is no claim to rate.")
    if len(sentence) > MAX_SENTENCE_CHARS:
        raise ValueError(
            f"{name} has {len(sentence):,} characters, more than the {MAX_SENTENCE_CHARS:,} allowed for one sentence. "
            "It looks like a whole document: split it into sentences first (appraisal.split_text) and rate each."
        )
    return sentence


def _normalise(sentence: str) -> str:
    text = sentence.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.lower().split())


def _looks_english(text: str) -> bool:
    if not text.isascii():
        letters = [c for c in text if c.isalpha()]
        if sum(c.isascii() for c in letters) < 0.5 * len(letters):
            return False
    if not any(c.isalpha() for c in text):
        return False
    words = _WORD.findall(text)
    foreign = sum(w in _FOREIGN_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    return not (foreign > english)


def _span(match: re.Match[str], group: str) -> tuple[int, int]:
    if group in match.re.groupindex and match.group(group) is not None:
        return match.span(group)
    return match.span()


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _clause_bounds(text: str) -> list[int]:
    """Positions where clauses end (plus the end of the text)."""
    return [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]


def _clause_of(position: int, bounds: list[int]) -> int:
    for i, end in enumerate(bounds):
        if position < end:
            return i
    return len(bounds) - 1


def _find_frames(text: str, present: set[str], bounds: list[int], blocked: list[tuple[int, int]]) -> list[_Frame]:
    frames = []
    for _name, kind, pattern in _FRAMES:
        for m in pattern.finditer(text, present):
            if _overlaps(m.start(), m.end(), blocked):
                continue
            clause = _clause_of(m.start(), bounds)
            end = bounds[clause]
            start = m.start()
            if kind == "negation (whole clause)":  # "relieved pain no better than sham": the whole clause
                kind, start = "negation", (bounds[clause - 1] if clause else 0)
            if kind == "aim or method":
                finding = _FINDING_VERB.search(text, m.end(), end)
                if finding:
                    end = finding.start()
            frames.append(_Frame(kind, start, end, m.group(0)))
    return frames


def _find_cues(text: str, present: set[str], blocked: list[tuple[int, int]]) -> list[_Cue]:
    taken = list(blocked)
    cues = []
    for kind, catalogue in (("association", _ASSOCIATION), ("causal", _CAUSAL)):
        for name, pattern in catalogue:
            for m in pattern.finditer(text, present):
                start, end = _span(m, "c")
                if _overlaps(start, end, taken):
                    continue
                taken.append((start, end))
                cues.append(_Cue(kind, name, start, end, m.group(0) if "c" not in m.re.groupindex
                                 else text[start:end]))
    return sorted(cues, key=lambda c: c.start)


def _negation_before(text: str, cue: _Cue, clause_start: int, blocked: list[tuple[int, int]]) -> str | None:
    """The negation that governs ``cue`` ("not", "no", "failed to" ...), or None."""
    window_start = clause_start
    inside = [m for m in _NEGATION.finditer(text, cue.start, cue.end) if not _overlaps(*m.span(), blocked)]
    if inside:
        return inside[0].group(0)
    negations = [m for m in _NEGATION.finditer(text, window_start, cue.start) if not _overlaps(*m.span(), blocked)]
    if negations and _ANY_BEFORE.search(text, window_start, cue.start):
        # "neither group showed any improvement": "any" before the cue, under an earlier negation.
        return negations[-1].group(0).strip()
    for m in reversed(negations):
        between = text[m.end():cue.start]
        if re.search(r"[,;:()]", between):
            return None
        gap = _WORD.findall(between)
        if len(gap) <= _NEGATION_MAX_GAP and all(w in _NEGATION_GAP_WORDS for w in gap):
            return m.group(0).strip()
        return None
    return None


def _explain(sentence: str) -> StrengthExplanation:
    text = _normalise(sentence)
    if not _looks_english(text):
        return StrengthExplanation("none", "not English text (the rules read English only)")
    if re.search(r"\?[\"')\]]*$", text):
        return StrengthExplanation("none", "question", ("?",))

    present = _present_keys(text)
    blocked: list[tuple[int, int]] = []
    for _name, pattern in _NOT_CUES:
        for m in pattern.finditer(text, present):
            for group in ("x", "y"):
                if group in m.re.groupindex and m.group(group) is not None:
                    blocked.append(m.span(group))
    bounds = _clause_bounds(text)
    clause_starts = [0] + [b for b in bounds[:-1]]
    frames = _find_frames(text, present, bounds, blocked)
    cues = _find_cues(text, present, blocked)
    cue_spans = [(c.start, c.end) for c in cues]

    hedges_before = sorted(
        (m.start(), m.group(0))
        for _n, p in _HEDGES_BEFORE for m in p.finditer(text, present)
        if not _overlaps(*m.span(), cue_spans + blocked)
    )
    # "shows promise for treating": the promise hedges the causal words after it.
    hedges_before = sorted(hedges_before + [(c.start, c.text) for c in cues if c.name in _PROMISE])
    hedge_anywhere = next(
        (m.group(0) for _n, p in _HEDGES_ANYWHERE for m in p.finditer(text, present)
         if not _overlaps(*m.span(), cue_spans + blocked)),
        None,
    )

    negated: list[tuple[str, _Cue]] = []
    framed: list[tuple[_Frame, _Cue]] = []
    active: list[tuple[str, str, tuple[str, ...]]] = []  # (level, rule, words)
    associations: list[_Cue] = []
    for cue in cues:
        clause = _clause_of(cue.start, bounds)
        frame = next((f for f in frames if f.start <= cue.start < f.end), None)
        if frame is not None:
            if frame.kind == "negation":
                negated.append((frame.text, cue))
            else:
                framed.append((frame, cue))
            continue
        negation = _negation_before(text, cue, clause_starts[clause], blocked)
        if negation is not None:
            negated.append((negation, cue))
            continue
        if cue.kind == "association":
            hedge = next((h for s, h in reversed(hedges_before) if clause_starts[clause] <= s < cue.start), None)
            hedge = hedge or hedge_anywhere
            associations.append(cue)
            if hedge:
                active.append(("correlational", "hedged association", (hedge, cue.text)))
            else:
                active.append(("correlational", "association", (cue.text,)))
            continue
        governor = next((a for a in reversed(associations) if _governs(text, a, cue, bounds)), None)
        if governor is not None:
            active.append(("correlational", "association governs the causal word", (governor.text, cue.text)))
            continue
        if cue.name in _PROMISE:
            active.append(("conditional_causal", "promise of benefit", (cue.text,)))
            continue
        hedge = next((h for s, h in reversed(hedges_before) if clause_starts[clause] <= s < cue.start), None)
        hedge = hedge or hedge_anywhere
        if hedge:
            active.append(("conditional_causal", "hedged causal verb", (hedge, cue.text)))
        else:
            active.append(("direct_causal", "causal verb", (cue.text,)))

    if active:
        best = max(_LEVEL_RANK[level] for level, _r, _w in active)
        level, rule, words = next(a for a in active if _LEVEL_RANK[a[0]] == best)
        return StrengthExplanation(level, rule, words)
    if negated:
        negation, cue = negated[0]
        return StrengthExplanation("none", "negated finding", (negation, cue.text))
    if framed:
        frame, cue = framed[0]
        return StrengthExplanation("none", frame.kind, (frame.text, cue.text))
    return StrengthExplanation("none", "no causal or association words")


def _governs(text: str, association: _Cue, cue: _Cue, bounds: list[int]) -> bool:
    if association.end > cue.start:
        return False
    if _clause_of(association.start, bounds) != _clause_of(cue.start, bounds):
        return False
    between = text[association.end:cue.start]
    if re.search(r"\b(?:that|which|who|because)\b", between):  # a new clause with its own verb
        return False
    return "," not in between and len(_WORD.findall(between)) <= _ASSOCIATION_REACH


def explain_strength(sentence: str) -> StrengthExplanation:
    """Rate one sentence and say why: the level, the rule that decided, and the deciding words.

    Raises TypeError for a non-string, ValueError for an empty sentence or one longer than
    ``MAX_SENTENCE_CHARS`` (a whole document: split it first). Text that is not English gets ``none``.
    """
    return _explain(_check_sentence(sentence))


def claim_strength(sentence: str) -> str:
    """The claim strength of one sentence: one of ``STRENGTH_LEVELS``.

    Any English sentence works; text in another language is rated ``none`` (the rules read English cue words only,
    so they find no claim), without an error. Raises TypeError if ``sentence`` is not a string, and ValueError if
    it is empty or only white space, or longer than ``MAX_SENTENCE_CHARS`` characters (for example a 5 MB string:
    it is refused at once, with a message saying to split it into sentences first).
    """
    return explain_strength(sentence).label


def add_strength(table: pd.DataFrame, text_column: str = "text") -> pd.DataFrame:
    """A copy of ``table`` with two new columns: ``strength`` (the level) and ``strength_rule`` (the deciding rule).

    Each distinct sentence is rated once, so repeated sentences cost nothing. Raises KeyError if the column is
    missing, and TypeError or ValueError (naming the row) if a cell is not a usable sentence.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"add_strength() expects a pandas DataFrame, not {type(table).__name__}.")
    if text_column not in table.columns:
        raise KeyError(f"add_strength(): the table has no column {text_column!r} (columns: {list(table.columns)}).")
    texts = table[text_column]
    results: dict[str, StrengthExplanation] = {}
    for index, value in texts.items():
        if isinstance(value, str) and value in results:
            continue
        try:
            results[value] = explain_strength(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"Column {text_column!r}, row {index!r}: {exc}") from None
    out = table.copy()
    out["strength"] = texts.map(lambda s: results[s].label)
    out["strength_rule"] = texts.map(lambda s: results[s].rule)
    return out


# --------------------------------------------------------------------------------------------------------------
# Labelled examples and evaluation
# --------------------------------------------------------------------------------------------------------------

EXAMPLE_COLUMNS: Final = ("example_id", "sentence", "label", "style", "split", "note")


def load_strength_examples() -> pd.DataFrame:
    """The labelled sentences of ``data/claim_strength_examples.csv`` (splits ``train`` and, once added, ``heldout``)."""
    path = data_path("claim_strength_examples.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in EXAMPLE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}.")
    return table


@dataclass(frozen=True, repr=False)
class StrengthReport:
    """How well the rules agree with hand labels: accuracy, macro-F1, per-level scores, confusion matrix, errors."""

    accuracy: float
    macro_f1: float
    per_class: pd.DataFrame = field(compare=False)
    confusion: pd.DataFrame = field(compare=False)
    errors: pd.DataFrame = field(compare=False)
    split: str = "heldout"
    n: int = 0

    def __str__(self) -> str:
        return (f"StrengthReport({self.split}: {self.n} sentences, accuracy {self.accuracy:.3f}, "
                f"macro-F1 {self.macro_f1:.3f}, {len(self.errors)} errors)")

    __repr__ = __str__


def _metrics(truth: pd.Series, predicted: pd.Series) -> tuple[float, float, pd.DataFrame, pd.DataFrame]:
    """Accuracy, macro-F1, per-class table and confusion matrix for labels in ``STRENGTH_LEVELS``."""
    levels = list(STRENGTH_LEVELS)
    truth = pd.Series(pd.Categorical(truth.to_numpy(), categories=levels), name="true")
    predicted = pd.Series(pd.Categorical(predicted.to_numpy(), categories=levels), name="predicted")
    confusion = pd.crosstab(truth, predicted, dropna=False).reindex(index=levels, columns=levels, fill_value=0)
    confusion = confusion.astype("int64")
    confusion.index = pd.Index(levels, name="true")
    confusion.columns = pd.Index(levels, name="predicted")
    correct = pd.Series([confusion.loc[lv, lv] for lv in levels], index=levels, dtype="float64")
    support = confusion.sum(axis=1).astype("float64")
    n_predicted = confusion.sum(axis=0).astype("float64")
    precision = (correct / n_predicted).where(n_predicted > 0, 0.0)
    recall = (correct / support).where(support > 0, 0.0)
    denominator = precision + recall
    f1 = (2 * precision * recall / denominator).where(denominator > 0, 0.0)
    per_class = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support.astype("int64")}, index=levels
    )
    per_class.index.name = "level"
    total = int(support.sum())
    accuracy = float(correct.sum() / total) if total else float("nan")
    present = (support > 0) | (n_predicted > 0)  # levels never seen nor predicted do not count in the mean
    macro_f1 = float(f1[present].mean()) if present.any() else float("nan")
    return accuracy, macro_f1, per_class, confusion


def evaluate_strength(examples: pd.DataFrame, split: str = "heldout") -> StrengthReport:
    """Compare ``claim_strength`` with the hand labels of one split (``"train"``, ``"heldout"`` or ``"all"``).

    ``examples`` needs the columns ``sentence`` and ``label`` (and ``split`` unless ``split="all"``). Macro-F1 is the
    plain mean of the per-level F1 over the levels that occur in the labels or the predictions; a level with no
    prediction has precision 0. Raises ValueError if the split has no rows or a label is not a level.
    """
    if not isinstance(examples, pd.DataFrame):
        raise TypeError(f"evaluate_strength() expects a pandas DataFrame, not {type(examples).__name__}.")
    needed = ["sentence", "label"] + ([] if split == "all" else ["split"])
    missing = [c for c in needed if c not in examples.columns]
    if missing:
        raise ValueError(f"evaluate_strength(): the examples lack the columns {missing}.")
    rows = examples if split == "all" else examples[examples["split"] == split]
    if rows.empty:
        found = sorted(set(examples["split"])) if "split" in examples.columns else []
        raise ValueError(
            f"evaluate_strength(): no examples with split {split!r} (splits present: {found}). "
            "The held-out set is added later by the lead; use split='train' until then."
        )
    bad = sorted(set(rows["label"]) - set(STRENGTH_LEVELS))
    if bad:
        raise ValueError(f"evaluate_strength(): labels {bad} are not among {STRENGTH_LEVELS}.")
    rated = add_strength(rows, text_column="sentence").rename(columns={"strength": "predicted",
                                                                       "strength_rule": "rule"})
    accuracy, macro_f1, per_class, confusion = _metrics(rated["label"], rated["predicted"])
    keep = [c for c in ("example_id", "sentence", "label", "predicted", "rule", "style", "note") if c in rated.columns]
    errors = rated.loc[rated["label"] != rated["predicted"], keep].reset_index(drop=True)
    return StrengthReport(accuracy, macro_f1, per_class, confusion, errors, split=split, n=len(rated))
